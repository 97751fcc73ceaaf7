// The distillation output: prompt-completion JSONL appended and flushed as each problem finishes. Reopened, it keeps
// the lines of problems the results file marks done and drops the rest (and a torn last line), so it always matches
// the samples a resumed run skips.
import Foundation
import R1Formats

final class DistillOutput {
    let path: String
    /// The completions already written, by problem id.
    private(set) var completionsById: [String: Set<String>] = [:]
    private(set) var lineCount = 0
    private let handle: FileHandle

    init(path: String, keepIds: Set<String>) throws {
        self.path = path
        let fm = FileManager.default
        var kept = Data()
        if fm.fileExists(atPath: path) {
            guard let data = fm.contents(atPath: path) else { throw TrainError("\(path): cannot read the output file") }
            let lines = data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
            for (n, line) in lines.enumerated() where !line.allSatisfy({ $0 == 32 || $0 == 9 || $0 == 13 }) {
                let torn = n == lines.count - 1  // no newline after it: cut off mid-write
                guard !torn else { break }
                guard let v = try? JSONValue.parse(Data(line)), let id = v["id"]?.string, let c = v["completion"]?.string,
                      v["prompt"] != nil else {
                    throw TrainError("\(path): line \(n + 1) is not a distillation line (id, prompt, completion); use another output")
                }
                guard keepIds.contains(id) else { continue }
                kept.append(contentsOf: line)
                kept.append(UInt8(ascii: "\n"))
                completionsById[id, default: []].insert(c)
                lineCount += 1
            }
        }
        do {
            try kept.write(to: URL(fileURLWithPath: path))
        } catch {
            throw TrainError("\(path): cannot write the output file: \(error.localizedDescription)")
        }
        guard let h = FileHandle(forWritingAtPath: path) else { throw TrainError("\(path): cannot open the output file for appending") }
        handle = h
        do { try handle.seekToEnd() } catch { throw TrainError("\(path): cannot append: \(error)") }
    }

    deinit { try? handle.close() }

    /// Appends one problem's lines and flushes them to disk.
    func append(_ lines: [String], id: String, completions: [String]) throws {
        guard !lines.isEmpty else { return }
        do {
            try handle.write(contentsOf: Data(lines.map { $0 + "\n" }.joined().utf8))
            try handle.synchronize()
        } catch {
            throw TrainError("\(path): cannot write: \(error)")
        }
        completionsById[id, default: []].formUnion(completions)
        lineCount += lines.count
    }
}
