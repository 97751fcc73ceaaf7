// One sandboxed process: posix_spawn in a new process group with stdin /dev/null, stdout and stderr to files in its
// directory, every other descriptor closed, default signal handling; polled with waitpid; killed as a group.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

final class SandboxJob {
    let dir: String
    let outputBytes: Int
    private(set) var pid: pid_t = 0
    private let started = ContinuousClock.now
    private var reaped = false

    init(dir: String, outputBytes: Int) {
        self.dir = dir
        self.outputBytes = outputBytes
    }

    func spawn(argv: [String], env: [String]) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, dir + "/.stdout", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, dir + "/.stderr", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        Self.closeInherited(&actions)
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        posix_spawnattr_setpgroup(&attr, 0)
        var none = sigset_t(), all = sigset_t()
        sigemptyset(&none)
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attr, &none)
        posix_spawnattr_setsigdefault(&attr, &all)
        let cArgs = argv.map { strdup($0) } + [nil]
        let cEnv = env.map { strdup($0) } + [nil]
        defer { (cArgs + cEnv).forEach { free($0) } }
        var child: pid_t = 0
        let rc = posix_spawn(&child, argv[0], &actions, &attr, cArgs, cEnv)
        guard rc == 0 else { throw EvalError("sandbox: cannot start \(argv[0]): \(String(cString: strerror(rc)))") }
        pid = child
    }

    /// The exit status when the launcher has ended (its group is then killed, in case anything is left).
    func poll() -> SandboxResult.Status? {
        var status: Int32 = 0
        let r = waitpid(pid, &status, WNOHANG)
        guard r == pid else { return r < 0 ? .exited(-1) : nil }
        reaped = true
        Glibc.kill(-pid, SIGKILL)
        return Self.decode(status)
    }

    /// Kills the group at the wall-clock limit and reaps the launcher.
    func kill() -> SandboxResult.Status {
        Glibc.kill(-pid, SIGKILL)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        reaped = true
        return .timedOut
    }

    static func decode(_ status: Int32) -> SandboxResult.Status {
        let signal = status & 0x7f
        return signal == 0 ? .exited((status >> 8) & 0xff) : .signaled(signal)
    }

    func result(_ status: SandboxResult.Status) -> SandboxResult {
        SandboxResult(status: status, stdout: read(".stdout"), stderr: read(".stderr"),
                      seconds: (ContinuousClock.now - started) / .seconds(1))
    }

    private func read(_ name: String) -> String {
        guard let h = FileHandle(forReadingAtPath: dir + "/" + name) else { return "" }
        defer { try? h.close() }
        let data = (try? h.read(upToCount: outputBytes)) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    /// Every descriptor above 2 closed in the child: glibc's closefrom action (2.34+, looked up at run time because
    /// Swift does not import it), else each descriptor open now (those opened later by other threads are CLOEXEC).
    private static func closeInherited(_ actions: inout posix_spawn_file_actions_t) {
        typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
        if let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") {
            let closeFrom = unsafeBitCast(symbol, to: CloseFrom.self)
            if closeFrom(&actions, 3) == 0 { return }
        }
        let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd"))?.compactMap { Int32($0) } ?? []
        for fd in fds where fd > 2 { posix_spawn_file_actions_addclose(&actions, fd) }
    }

    func cleanup() {
        if pid > 0 && !reaped { _ = kill() }
        try? FileManager.default.removeItem(atPath: dir)
    }
}
