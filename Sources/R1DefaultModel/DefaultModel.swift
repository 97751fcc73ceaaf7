// The built-in default model: a small reasoning model (a Hugging Face folder) shipped as this target's resource, found
// at run time from the environment, the SwiftPM resource bundle beside the executable, or an installed share folder.
import Foundation

public enum DefaultModel {
    /// The MODEL argument that means this model.
    public static let name = "default"
    /// A model folder (or .gguf file) to use instead of the shipped one.
    public static let environmentVariable = "R1_DEFAULT_MODEL"
    /// The folder inside the resource bundle (`resources: [.copy("DefaultModel")]`).
    public static let resourceFolder = "DefaultModel"
    /// Where scripts/install.sh puts the model, relative to the folder of the installed binary.
    public static let installedFolder = "../share/swift-r1/default-model"
    /// SwiftPM's bundle names: `<package>_<target>.resources` on Linux, `.bundle` on Darwin.
    static let bundleNames = ["swift-r1_R1DefaultModel.resources", "swift-r1_R1DefaultModel.bundle"]

    /// The model's folder: `$R1_DEFAULT_MODEL` when set; else the resource bundle beside the executable; else
    /// `<executable folder>/../share/swift-r1/default-model`. `executableDirectories` defaults to the running binary's
    /// folder (and the folder it links to). Throws `DefaultModelError` naming every place looked.
    ///
    /// The bundle is looked for by hand, not through `Bundle.module`: on Linux that accessor stops the process when
    /// the bundle is missing (an installed binary), and its fallback is the build folder's absolute path.
    public static func locate(environment: [String: String] = ProcessInfo.processInfo.environment,
                              executableDirectories: [String]? = nil) throws -> String {
        if let value = environment[environmentVariable], !value.isEmpty {
            let path = (value as NSString).expandingTildeInPath
            if let problem = problem(with: path, allowFile: true) { throw DefaultModelError.badEnvironment(path: value, problem: problem) }
            return path
        }
        let candidates = self.candidates(executableDirectories: executableDirectories ?? runningExecutableDirectories())
        if let found = candidates.first(where: { problem(with: $0, allowFile: false) == nil }) { return found }
        throw DefaultModelError.notFound(tried: candidates)
    }

    /// The folders `locate` tries after the environment, in order.
    public static func candidates(executableDirectories: [String]) -> [String] {
        var out: [String] = []
        for dir in executableDirectories {
            for bundle in bundleNames {
                out.append("\(dir)/\(bundle)/\(resourceFolder)")
                if bundle.hasSuffix(".bundle") { out.append("\(dir)/\(bundle)/Contents/Resources/\(resourceFolder)") }
            }
        }
        for dir in executableDirectories {
            out.append(URL(fileURLWithPath: dir).appendingPathComponent(installedFolder).standardizedFileURL.path)
        }
        var seen = Set<String>()
        return out.filter { seen.insert($0).inserted }
    }

    /// The running binary's folder, and the folder of what it links to when that differs.
    static func runningExecutableDirectories() -> [String] {
        let exe = Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments.first ?? ".")
        let plain = exe.deletingLastPathComponent().standardizedFileURL.path
        let resolved = exe.resolvingSymlinksInPath().deletingLastPathComponent().standardizedFileURL.path
        return plain == resolved ? [plain] : [plain, resolved]
    }

    /// Why `path` is not a model: nil when it is a folder with config.json (or, with `allowFile`, any file).
    static func problem(with path: String, allowFile: Bool) -> String? {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else { return "no such file or folder" }
        if !isDir.boolValue { return allowFile ? nil : "not a folder" }
        guard FileManager.default.fileExists(atPath: path + "/config.json") else { return "a folder without config.json" }
        return nil
    }
}

public enum DefaultModelError: Error, Equatable, CustomStringConvertible {
    case badEnvironment(path: String, problem: String)
    case notFound(tried: [String])

    public var description: String {
        switch self {
        case .badEnvironment(let path, let problem):
            return "\(DefaultModel.environmentVariable)=\(path): \(problem); point it at a model folder or .gguf file, or unset it"
        case .notFound(let tried):
            return "the built-in default model is missing; looked in $\(DefaultModel.environmentVariable) (unset), "
                + tried.joined(separator: ", ")
                + ". Set \(DefaultModel.environmentVariable) to a model folder, or install r1 with scripts/install.sh"
        }
    }
}
