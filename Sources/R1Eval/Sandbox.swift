// Runs untrusted Python (HumanEval completions with their tests) in a subprocess that cannot harm the host.
//
// What is chosen, in order of what the machine allows (probed once per sandbox):
// - `isolated`: util-linux `unshare` gives the program new network, mount and PID namespaces (root, or an
//   unprivileged user namespace with --map-root-user). The network namespace has only a down loopback: no network.
//   In the mount namespace every mount is remounted read-only except a bind of the program's fresh temporary
//   directory, so nothing outside it can be written. `--kill-child` ties the namespace's life to the launcher, so
//   killing the launcher's process group kills every process inside, even ones that called setsid(). As root the
//   program then runs as an unprivileged uid of its own (setpriv), all capabilities dropped, no_new_privs.
// - `limits only`: no namespaces; the report says the code ran with network and without filesystem isolation.
// Always: `prlimit` sets CPU seconds, address space, process count, file size and open files; the launcher is
// spawned in its own process group, which is SIGKILLed at the wall-clock limit and after the program ends; the cwd
// and HOME are the temporary directory; the environment is minimal; inherited descriptors are closed.
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Synchronization

public struct SandboxLimits: Sendable, Equatable {
    public var wallSeconds: Double = 10
    public var cpuSeconds: Int = 10
    /// Address space per process (RLIMIT_AS).
    public var memoryBytes: Int = 1 << 30
    /// Processes of the sandbox's uid (RLIMIT_NPROC); with namespaces off, of the calling user.
    public var processes: Int = 32
    public var fileBytes: Int = 16 << 20
    public var openFiles: Int = 64
    /// Most bytes of stdout and of stderr kept.
    public var outputBytes: Int = 64 << 10

    public init(wallSeconds: Double = 10, cpuSeconds: Int = 10, memoryBytes: Int = 1 << 30, processes: Int = 32) {
        self.wallSeconds = wallSeconds
        self.cpuSeconds = cpuSeconds
        self.memoryBytes = memoryBytes
        self.processes = processes
    }
}

public struct SandboxResult: Sendable, Equatable {
    public enum Status: Sendable, Equatable {
        case exited(Int32)
        case signaled(Int32)
        /// Killed at the wall-clock limit.
        case timedOut
    }
    public var status: Status
    public var stdout: String
    public var stderr: String
    public var seconds: Double
    public var passed: Bool { status == .exited(0) }
}

public final class PythonSandbox: Sendable {
    public enum Isolation: String, Sendable {
        /// Namespaces (network, mount read-only but the temp dir, PID) and, as root, an unprivileged uid.
        case isolated
        /// Resource limits and a process group only: network and the filesystem are reachable.
        case limitsOnly = "limits only"
    }

    public let python: String
    public let limits: SandboxLimits
    public let isolation: Isolation
    private let tools: (unshare: String?, setpriv: String?, prlimit: String)
    private static let nextUid = Atomic<UInt32>(0)

    /// `python`: the interpreter (default `R1_SANDBOX_PYTHON`, else /usr/bin/python3, else `python3` on PATH).
    public convenience init(python: String? = nil, limits: SandboxLimits = SandboxLimits()) throws {
        let env = ProcessInfo.processInfo.environment
        guard let py = python ?? env["R1_SANDBOX_PYTHON"] ?? Self.which("python3", preferring: ["/usr/bin/python3", "/usr/local/bin/python3"]) else {
            throw EvalError("sandbox: no python3 found (set R1_SANDBOX_PYTHON)")
        }
        guard FileManager.default.isExecutableFile(atPath: py) else { throw EvalError("sandbox: python '\(py)' is not an executable file") }
        guard let prlimit = Self.which("prlimit") else { throw EvalError("sandbox: util-linux's prlimit is not installed") }
        guard limits.wallSeconds > 0, limits.cpuSeconds > 0, limits.memoryBytes > 0, limits.processes > 0 else {
            throw EvalError("sandbox: limits must be positive, got \(limits)")
        }
        let tools = (unshare: Self.which("unshare"), setpriv: Self.which("setpriv"), prlimit: prlimit)
        // probe: does the isolated launcher work here?
        var isolation = Isolation.limitsOnly
        if tools.unshare != nil && tools.setpriv != nil {
            let probe = PythonSandbox(python: py, limits: limits, tools: tools, isolation: .isolated)
            if (try? probe.runSync(program: "pass"))?.passed == true { isolation = .isolated }
        }
        self.init(python: py, limits: limits, tools: tools, isolation: isolation)
    }

    private init(python: String, limits: SandboxLimits, tools: (unshare: String?, setpriv: String?, prlimit: String), isolation: Isolation) {
        self.python = python
        self.limits = limits
        self.tools = tools
        self.isolation = isolation
    }

    /// One line for reports.
    public var summary: String {
        switch isolation {
        case .isolated:
            return "isolated (network, mount and PID namespaces; read-only filesystem but its temp dir"
                + (geteuid() == 0 ? "; unprivileged uid" : "") + "), \(limitText)"
        case .limitsOnly:
            return "limits only: namespaces are not available here, so code ran WITH network and filesystem access, \(limitText)"
        }
    }

    private var limitText: String {
        String(format: "wall %.0f s, CPU %d s, address space %d MiB, %d processes", limits.wallSeconds, limits.cpuSeconds,
               limits.memoryBytes >> 20, limits.processes)
    }

    /// Runs `program` with python3 (isolated mode `-I`, no bytecode written).
    public func run(program: String) async throws -> SandboxResult {
        let job = try start(program: program, isolation: isolation)
        defer { job.cleanup() }
        let deadline = ContinuousClock.now + .milliseconds(Int(limits.wallSeconds * 1000))
        var delay = 1
        while true {
            if let status = job.poll() { return job.result(status) }
            if ContinuousClock.now >= deadline { return job.result(job.kill()) }
            try? await Task.sleep(for: .milliseconds(delay))
            delay = min(20, delay * 2)
        }
    }

    /// Blocking variant for the probe.
    private func runSync(program: String) throws -> SandboxResult {
        let job = try start(program: program, isolation: isolation)
        defer { job.cleanup() }
        let deadline = ContinuousClock.now + .seconds(max(5, limits.wallSeconds))
        while true {
            if let status = job.poll() { return job.result(status) }
            if ContinuousClock.now >= deadline { return job.result(job.kill()) }
            usleep(2000)
        }
    }

    // MARK: - launching

    /// Mounts: everything read-only but "$dir" (bound onto itself first), checked; then the command in "$dir".
    static let launcherScript = """
        dir=$1; isolate=$2; shift 2
        if [ "$isolate" = 1 ]; then
          mount --make-rprivate / || exit 125
          mount --bind "$dir" "$dir" || exit 125
          while read -r _ _ _ _ mp _; do
            mp=$(printf '%b' "$mp")
            [ "$mp" = "$dir" ] || mount -o remount,bind,ro "$mp" 2>/dev/null
          done < /proc/self/mountinfo
          if (: > /.r1-sandbox-probe) 2>/dev/null; then rm -f /.r1-sandbox-probe; echo "r1 sandbox: / stayed writable" >&2; exit 125; fi
        fi
        cd "$dir" || exit 125
        exec "$@"
        """

    private func start(program: String, isolation: Isolation) throws -> SandboxJob {
        var template = Array((FileManager.default.temporaryDirectory.path + "/r1-sandbox-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { throw EvalError("sandbox: cannot create a temporary directory: \(String(cString: strerror(errno)))") }
        let dir = URL(fileURLWithPath: String(cString: made)).resolvingSymlinksInPath().path
        let job = SandboxJob(dir: dir, outputBytes: limits.outputBytes)
        do {
            try Data(program.utf8).write(to: URL(fileURLWithPath: dir + "/program.py"))
        } catch {
            job.cleanup()
            throw EvalError("sandbox: cannot write \(dir)/program.py: \(error)")
        }
        let root = geteuid() == 0
        let uid = 61000 + Self.nextUid.wrappingAdd(1, ordering: .relaxed).oldValue % 4000
        if root && isolation == .isolated {
            _ = chown(dir, uid, uid)
            _ = chown(dir + "/program.py", uid, uid)
        }
        chmod(dir, 0o700)

        let prlimit = [tools.prlimit, "--cpu=\(limits.cpuSeconds)", "--as=\(limits.memoryBytes)", "--nproc=\(limits.processes)",
                       "--fsize=\(limits.fileBytes)", "--nofile=\(limits.openFiles)", "--core=0", "--"]
        let command = prlimit + [python, "-I", "-B", "program.py"]
        var argv: [String]
        switch isolation {
        case .isolated:
            argv = [tools.unshare!] + (root ? [] : ["--map-root-user"])
                + ["--net", "--mount", "--pid", "--fork", "--kill-child", "--mount-proc", "/bin/sh", "-c", Self.launcherScript, "sh", dir, "1",
                   tools.setpriv!] + (root ? ["--reuid=\(uid)", "--regid=\(uid)", "--clear-groups"] : [])
                + ["--no-new-privs", "--bounding-set=-all", "--inh-caps=-all", "--"] + command
        case .limitsOnly:
            argv = ["/bin/sh", "-c", Self.launcherScript, "sh", dir, "0"] + command
        }
        let env = ["PATH=/usr/local/bin:/usr/bin:/bin", "HOME=\(dir)", "TMPDIR=\(dir)", "LANG=C.UTF-8",
                   "PYTHONDONTWRITEBYTECODE=1", "PYTHONHASHSEED=0", "PYTHONIOENCODING=utf-8"]
        do {
            try job.spawn(argv: argv, env: env)
        } catch {
            job.cleanup()
            throw error
        }
        return job
    }

    static func which(_ name: String, preferring: [String] = []) -> String? {
        let fm = FileManager.default
        for p in preferring where fm.isExecutableFile(atPath: p) { return p }
        let path = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":").map(String.init)
        for dir in path + ["/usr/sbin", "/sbin"] {
            let p = "\(dir)/\(name)"
            if fm.isExecutableFile(atPath: p) { return p }
        }
        return nil
    }
}
