// The training-problem drawer behind `r1 train data` and `r1 train distill`: the seed's own order with held-out
// questions (and, when distinct, repeats) left out, whatever the first pool's size, and a clear end when a difficulty's
// distinct questions run out.
import Testing
import R1Eval
@testable import R1Train

@Suite struct TrainingProblemsTests {
    let task = "builtin:arithmetic"

    /// The plain reference: the first `count` acceptable problems of one long draw.
    func reference(difficulty: Int, heldOut: Set<String>, distinct: Bool, count: Int) throws -> [String] {
        var seen: Set<String> = []
        return try BuiltinTasks.problems(named: task, seed: 3, difficulty: difficulty, count: count * 8)
            .filter { !heldOut.contains($0.question) && (!distinct || seen.insert($0.question).inserted) }
            .prefix(count).map(\.id)
    }

    @Test(arguments: [false, true], [1, 7, 500])
    func drawsFollowTheSeedsOrderAtAnyPoolSize(distinct: Bool, poolSize: Int) throws {
        let heldOut = try BuiltinTasks.questions(named: task, seeds: [0], difficulties: [1], count: 1000)
        var drawer = TrainingProblems(task: task, seed: 3, difficulties: [1], heldOut: heldOut, distinct: distinct,
                                      poolSize: poolSize)
        var ids: [String] = []
        while ids.count < 2000, let p = try drawer.next(slot: 0) { ids.append(p.id) }
        #expect(ids == (try reference(difficulty: 1, heldOut: heldOut, distinct: distinct, count: 2000)))
    }

    @Test func distinctQuestionsAreDistinctAcrossSlotsAndRunOut() throws {
        // Slot 0 draws from 40 questions, slot 1 from 60 that share 20 with slot 0: once slot 0 has given each of its
        // questions it ends (nil) instead of looping, and slot 1 then gives only the 40 it does not share.
        func problem(_ q: Int, _ index: Int) -> EvalProblem {
            EvalProblem(id: "p-\(index)", question: "q\(q)", check: .math(gold: "0"))
        }
        var drawer = TrainingProblems(slots: 2, heldOut: ["q3"], distinct: true, poolSize: 8) { slot, index in
            slot == 0 ? problem((index * 7) % 40, index) : problem(20 + (index * 11) % 60, index)
        }
        var first: [String] = []
        while let p = try drawer.next(slot: 0) { first.append(p.question); if first.count > 100 { break } }
        #expect(first.count == 39 && Set(first).count == 39 && !first.contains("q3"))
        #expect(try drawer.next(slot: 0) == nil)
        var second: [String] = []
        while let p = try drawer.next(slot: 1) { second.append(p.question); if second.count > 100 { break } }
        #expect(Set(second) == Set((40..<80).map { "q\($0)" }) && second.count == 40)

        var repeating = TrainingProblems(slots: 1, heldOut: ["q3"], distinct: false, poolSize: 8) { _, index in
            problem(index % 5, index)
        }
        let drawn = try (0..<12).map { _ in try #require(try repeating.next(slot: 0)).question }
        #expect(drawn == ["q0", "q1", "q2", "q4", "q0", "q1", "q2", "q4", "q0", "q1", "q2", "q4"])
    }
}
