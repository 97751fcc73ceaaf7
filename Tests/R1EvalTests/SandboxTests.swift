// The code sandbox: HumanEval-format problems pass with their solutions and fail without; hostile programs (fork bomb,
// endless loop, huge allocation, socket, writes outside the directory, escaping the process group, inherited
// descriptors) fail cleanly inside the limits and leave nothing behind on the host.
import Foundation
@testable import R1Eval
import Testing

@Suite(.serialized) struct SandboxTests {
    let sandbox: PythonSandbox

    init() throws {
        sandbox = try PythonSandbox(limits: SandboxLimits(wallSeconds: 5, cpuSeconds: 3, memoryBytes: 512 << 20, processes: 16))
    }

    @Test func humanEvalFixture() async throws {
        let d = try EvalDataset.load(path: evalFixtures.appendingPathComponent("humaneval-mini.jsonl").path)
        for p in d.problems {
            guard case .code(let prompt, let test, let entry) = p.check else { throw TestFailure("not code") }
            let good = try await sandbox.run(program: EvalPrompt.humanEvalProgram(prompt: prompt, completion: d.canonicalSolutions[p.id]!, test: test, entryPoint: entry))
            #expect(good.passed, "\(p.id): \(good.status) \(good.stderr)")
            let empty = try await sandbox.run(program: EvalPrompt.humanEvalProgram(prompt: prompt, completion: "", test: test, entryPoint: entry))
            #expect(!empty.passed, "\(p.id) passes with an empty body")
        }
        // a model's answer: the whole function in a fenced block, through the checker
        let checker = CodeChecker(sandbox: sandbox, answers: ExactMatchChecker())
        let response = "Here it is:\n```python\ndef digit_sum(n: int) -> int:\n    return sum(map(int, str(abs(n))))\n```"
        #expect(await checker.check(d.problems[2], response: response).correct)
        #expect(await !checker.check(d.problems[2], response: "```python\ndef digit_sum(n):\n    return 0\n```").correct)
    }

    @Test func isolationIsAvailableHere() {
        // this machine allows namespaces; elsewhere the report says "limits only"
        #expect(sandbox.isolation == .isolated, "\(sandbox.summary)")
    }

    @Test func endlessLoopIsKilledAtTheWallLimit() async throws {
        let sb = try PythonSandbox(limits: SandboxLimits(wallSeconds: 1.5, cpuSeconds: 30))
        let r = try await sb.run(program: "import time\nwhile True:\n    time.sleep(0.01)\n")
        #expect(r.status == .timedOut)
        #expect(r.seconds < 4)
    }

    @Test func busyLoopHitsTheCPULimit() async throws {
        let sb = try PythonSandbox(limits: SandboxLimits(wallSeconds: 20, cpuSeconds: 1))
        let r = try await sb.run(program: "while True:\n    pass\n")
        #expect(!r.passed)
        #expect(r.status != .timedOut)
        #expect(r.seconds < 10)
    }

    @Test func forkBombFailsInsideTheLimits() async throws {
        let marker = "r1-forkbomb-\(UUID().uuidString.prefix(8))"
        let program = """
            import os, time
            # \(marker)
            kids = 0
            try:
                while True:
                    if os.fork() == 0:
                        time.sleep(30)
                        os._exit(0)
                    kids += 1
            except OSError as e:
                print("fork failed after", kids, e)
                raise SystemExit(3)
            """
        let r = try await sandbox.run(program: program)
        #expect(r.status == .exited(3), "\(r.status) \(r.stdout) \(r.stderr)")
        #expect(r.stdout.contains("fork failed after"))
        try await Task.sleep(for: .milliseconds(200))
        #expect(try processesMentioning(marker) == 0, "sleeping children outlived the sandbox")
    }

    @Test func escapedChildrenDieWithTheSandbox() async throws {
        let marker = "r1-escape-\(UUID().uuidString.prefix(8))"
        let program = """
            import os, time
            # \(marker)
            if os.fork() == 0:
                os.setsid()
                time.sleep(60)
            """
        let r = try await sandbox.run(program: program)
        #expect(r.passed, "\(r.stderr)")
        try await Task.sleep(for: .milliseconds(300))
        #expect(try processesMentioning(marker) == 0, "a setsid() child outlived the sandbox")
    }

    @Test func hugeAllocationFails() async throws {
        let r = try await sandbox.run(program: "x = bytearray(8 << 30)\nprint(len(x))\n")
        #expect(!r.passed)
        #expect(r.stderr.contains("MemoryError"), "\(r.stderr)")
    }

    @Test func noNetwork() async throws {
        let program = """
            import socket
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.settimeout(2)
            s.connect(("1.1.1.1", 80))
            """
        let r = try await sandbox.run(program: program)
        #expect(!r.passed)
        #expect(r.stderr.contains("OSError") || r.stderr.contains("unreachable"), "\(r.stderr)")
        #expect(r.seconds < 4)
    }

    @Test func noWritesOutsideItsDirectory() async throws {
        let target = FileManager.default.temporaryDirectory.appendingPathComponent("r1-escape-\(UUID().uuidString)").path
        let program = """
            import os
            open("inside.txt", "w").write("ok")
            assert os.path.exists(os.path.join(os.environ["HOME"], "inside.txt"))
            for path in [\(String(reflecting: target)), "/etc/r1-sandbox-test", "/root/r1-sandbox-test"]:
                try:
                    open(path, "w").write("escaped")
                    print("WROTE", path)
                except OSError as e:
                    print("refused", path, e.errno)
            """
        let r = try await sandbox.run(program: program)
        #expect(r.passed, "\(r.stderr)")
        #expect(!r.stdout.contains("WROTE"), "\(r.stdout)")
        #expect(!FileManager.default.fileExists(atPath: target))
        #expect(!FileManager.default.fileExists(atPath: "/etc/r1-sandbox-test"))
    }

    @Test func noInheritedDescriptorsAndAMinimalEnvironment() async throws {
        let keep = FileHandle(forReadingAtPath: "/etc/hostname")  // a descriptor of the host process
        defer { try? keep?.close() }
        let program = """
            import os
            open_fds = sorted(int(f) for f in os.listdir("/proc/self/fd"))
            print(open_fds)
            assert all(fd <= 3 for fd in open_fds), open_fds   # 0-2 and listdir's own
            assert os.getcwd() == os.environ["HOME"] == os.environ["TMPDIR"]
            assert set(os.environ) <= {"PATH", "HOME", "TMPDIR", "LANG", "PYTHONDONTWRITEBYTECODE", "PYTHONHASHSEED", "PYTHONIOENCODING", "LC_CTYPE", "PWD", "OLDPWD"}, sorted(os.environ)
            """
        let r = try await sandbox.run(program: program)
        #expect(r.passed, "\(r.stdout) \(r.stderr)")
    }

    @Test func directoryIsRemoved() async throws {
        let r = try await sandbox.run(program: "import os\nprint(os.getcwd())\n")
        let dir = r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(dir.contains("r1-sandbox-"))
        #expect(!FileManager.default.fileExists(atPath: dir))
    }

    /// Processes whose command line or program mentions `marker` (python reads program.py; the marker is a comment,
    /// so count processes by their open program text instead: any python whose cwd is gone is also gone).
    func processesMentioning(_ marker: String) throws -> Int {
        var n = 0
        for entry in try FileManager.default.contentsOfDirectory(atPath: "/proc") where Int(entry) != nil {
            guard let cwd = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(entry)/cwd") else { continue }
            if cwd.contains("r1-sandbox-"), let cmd = try? String(contentsOfFile: "/proc/\(entry)/cmdline", encoding: .utf8),
               cmd.contains("program.py") {
                n += 1
            }
        }
        _ = marker
        return n
    }
}
