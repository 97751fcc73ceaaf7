// GRPO's problem source: the built-in difficulties in turn (as before question files existed), question files taken
// in turn with them, each pass over a file a fresh seeded permutation of its kept problems, held-out and excluded
// questions never drawn, a draw that depends on the cursor alone (so a resumed run continues it), and errors that name
// the bad file or key.
import Foundation
import Testing
import R1Eval
@testable import R1Train

@Suite struct GRPOProblemsTests {
    /// A custom-layout questions file (fields q and a): `What is N + 1?` for each N, one JSON object a line.
    func questionsFile(_ name: String, _ numbers: [Int]) throws -> String {
        let path = tempFolder(name) + ".jsonl"
        let lines = numbers.map { #"{"q": "What is \#($0) + 1?", "a": "\#($0 + 1)"}"# }
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    let fields = EvalDataset.Fields(question: "q", answer: "a")

    @Test func withoutFilesTheDifficultiesAreTakenInTurnAsBefore() throws {
        let source = try GRPOProblems(task: "builtin:arithmetic", difficulties: [1, 2], seed: 7)
        var cursor = 0
        var expected: [String] = []
        for k in 0..<40 {
            let p = try BuiltinTasks.problem(named: "builtin:arithmetic", seed: 7, difficulty: [1, 2][k % 2], index: k / 2)
            if !source.isHeldOut(p.question) { expected.append(p.question) }
        }
        var drawn: [String] = []
        while cursor < 40 { drawn.append(try source.next(cursor: &cursor).question) }
        #expect(drawn == expected && cursor == 40)
    }

    @Test func filesComeInTurnWithTheDifficultiesEachPassAFreshPermutation() throws {
        let file = try questionsFile("grpo-q", Array(0..<50) + [3, 4])  // two repeats
        let held = try questionsFile("grpo-held", [10, 11, 12])
        defer { for p in [file, held] { try? FileManager.default.removeItem(atPath: p) } }
        let excluded = Set(try EvalDataset.load(path: held, fields: fields).problems.map(\.question))
        let source = try GRPOProblems(task: "builtin:arithmetic", difficulties: [1], seed: 3, questions: [file], fields: fields,
                                      excluded: excluded)
        #expect(source.files.count == 1 && source.files[0].problems.count == 47)
        var cursor = 0
        var passes: [[String]] = [[], [], []]
        while cursor < 2 * 47 * 3 {
            let p = try source.next(cursor: &cursor)
            let k = cursor - 1  // the candidate drawn (held-out difficulty-1 ones before it were skipped)
            let fromFile = p.question.hasSuffix(" + 1?")
            #expect(fromFile == (k % 2 == 1), "candidate \(k): \(p.question)")
            if fromFile { passes[(k / 2) / 47].append(p.question) }
        }
        let kept = Set((0..<50).filter { !(10...12).contains($0) }.map { "What is \($0) + 1?" })
        for pass in passes { #expect(pass.count == 47 && Set(pass) == kept) }
        #expect(passes[0] != passes[1] && passes[1] != passes[2])
        // The draw is a function of the cursor: a fresh source resumed at a cursor goes on as the first one did.
        var c1 = 0
        for _ in 0..<11 { _ = try source.next(cursor: &c1) }
        var c2 = c1
        var goingOn: [String] = [], resumed: [String] = []
        for _ in 0..<20 { goingOn.append(try source.next(cursor: &c1).question) }
        let fresh = try GRPOProblems(task: "builtin:arithmetic", difficulties: [1], seed: 3, questions: [file], fields: fields,
                                     excluded: excluded)
        for _ in 0..<20 { resumed.append(try fresh.next(cursor: &c2).question) }
        #expect(resumed == goingOn)
        // Another seed, another order.
        let other = try GRPOProblems(task: "builtin:arithmetic", difficulties: [], seed: 4, questions: [file], fields: fields)
        var c3 = 0
        var otherPass: [String] = []
        for _ in 0..<50 { otherPass.append(try other.next(cursor: &c3).question) }
        #expect(Set(otherPass) == Set((0..<50).map { "What is \($0) + 1?" }) && otherPass != passes[0])
    }

    @Test func aConfigReadsQuestionsAndExcludeAndTheRewardChecksTheirAnswers() throws {
        let file = try questionsFile("grpo-cq", [1, 2, 3])
        let held = try questionsFile("grpo-cheld", [2])
        let path = tempFolder("grpo-qconfig") + ".yaml"
        defer { for p in [file, held, path] { try? FileManager.default.removeItem(atPath: p) } }
        try """
            model: m\noutput: o\ntask: arithmetic\nsteps: 3\nquestions: \(file)\nexclude: [\(held)]
            question_field: q\nanswer_field: a\n
            """.write(toFile: path, atomically: true, encoding: .utf8)
        let c = try GRPOConfig.load(path: path)
        #expect(c.difficulty.isEmpty && c.questions == [file] && c.exclude == [held])
        let source = try c.problems()
        #expect(Set(source.files[0].problems.map(\.question)) == ["What is 1 + 1?", "What is 3 + 1?"])
        var cursor = 0
        let p = try source.next(cursor: &cursor)
        let gold = p.question == "What is 1 + 1?" ? "2" : "4"
        var rewards = GRPORewardConfig()
        rewards.formatReward = 0.1
        #expect(GRPORewards.score(p, text: "<think>x</think> \\boxed{\(gold)}", length: 5, truncated: false, config: rewards).total == 1.1)
        #expect(!GRPORewards.score(p, text: "<think>x</think> \\boxed{7}", length: 5, truncated: false, config: rewards).correct)
    }

    @Test func badQuestionFilesAndKeysAreNamed() throws {
        let file = try questionsFile("grpo-bq", [1, 2])
        let code = tempFolder("grpo-code") + ".jsonl"
        try #"{"task_id": "t/0", "prompt": "def f():\n", "test": "assert f() == 1", "entry_point": "f"}"#
            .write(toFile: code, atomically: true, encoding: .utf8)
        let path = tempFolder("grpo-bconfig") + ".yaml"
        defer { for p in [file, code, path] { try? FileManager.default.removeItem(atPath: p) } }
        func loadError(_ text: String) throws -> String {
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            let e = #expect(throws: TrainError.self) { try GRPOConfig.load(path: path).problems() }
            return e?.description ?? "no error"
        }
        let base = "model: m\noutput: o\ntask: arithmetic\nsteps: 3\n"
        for (extra, needle) in [
            ("", "difficulty: give at least one (or questions)"), ("difficulty: []", "difficulty: give at least one"),
            ("questions: /nonexistent/q.jsonl\nquestion_field: q\nanswer_field: a", "/nonexistent/q.jsonl: no such file"),
            ("questions: \(file)\nquestion_field: q", "question_field and answer_field go together (got only question_field)"),
            ("questions: \(file)", "cannot tell the layout"),
            ("questions: \(file)\nexclude: \(file)\nquestion_field: q\nanswer_field: a", "no problem left to train on (2 read"),
            ("questions: \(code)", "is a code problem"),
            ("questions: ''\nquestion_field: q\nanswer_field: a", "questions: an empty file name"),
            ("difficulty: 1\nexclude: /nonexistent/h.jsonl", "exclude: /nonexistent/h.jsonl: no such file"),
        ] {
            let message = try loadError(base + extra + "\n")
            #expect(message.contains(needle), "\(extra): \(message)")
        }
    }
}
