// SFT traces for `builtin:countdown`: a randomised depth-first search written out as it runs. Each step tries a pair
// and an operation ("Try 50 + 25 = 75. Left: 3, 7, 75."); with two numbers left every result is listed; a branch
// that cannot reach the target is abandoned ("Back.") and the next try follows. Moves are drawn at random, a move
// that keeps the target reachable first with probability `guide`, so traces hold real dead ends and backtracking.
import Foundation

public enum CountdownTrace {
    struct Item {
        var value: Int
        var expression: String  // with * and / (the answer's notation)
        var atomic: Bool
    }

    /// The completion (thinking, `</think>`, the boxed expression) or nil when the target cannot be reached.
    public static func completion(numbers: [Int], target: Int, rng: inout TrainRandom, guide: Double = 0.6,
                                  maxLines: Int = 40) -> String? {
        for _ in 0..<8 {
            var lines = ["Numbers: \(numbers.map(String.init).joined(separator: ", ")). Target: \(target)."]
            let items = numbers.map { Item(value: $0, expression: "\($0)", atomic: true) }
            if let hit = numbers.firstIndex(of: target) {
                lines.append("\(target) is given.")
                return finish(lines, items[hit].expression)
            }
            var budget = maxLines
            if let found = search(items, target: target, lines: &lines, budget: &budget, rng: &rng, guide: guide) {
                return finish(lines, found.expression)
            }
        }
        return nil
    }

    static func finish(_ lines: [String], _ expression: String) -> String {
        let shown = expression.replacingOccurrences(of: "*", with: "×").replacingOccurrences(of: "/", with: "÷")
            .replacingOccurrences(of: "-", with: "−")
        return (lines + ["So \(shown) makes it."]).joined(separator: "\n") + "\n</think>\n\n\\boxed{\(expression)}"
    }

    static func moves(_ items: [Item]) -> [(i: Int, j: Int, op: Character, result: Int)] {
        var out: [(Int, Int, Character, Int)] = []
        for i in items.indices {
            for j in items.indices where i != j {
                let a = items[i].value, b = items[j].value
                if i < j { out.append((i, j, "+", a + b)); out.append((i, j, "*", a * b)) }
                if a > b { out.append((i, j, "-", a - b)) }
                if b > 1, a % b == 0 { out.append((i, j, "/", a / b)) }
            }
        }
        return out
    }

    static func apply(_ items: [Item], _ m: (i: Int, j: Int, op: Character, result: Int)) -> (Item, [Item]) {
        func wrap(_ it: Item) -> String { it.atomic ? it.expression : "(\(it.expression))" }
        let e = "\(wrap(items[m.i])) \(m.op) \(wrap(items[m.j]))"
        let made = Item(value: m.result, expression: e, atomic: false)
        var rest = items.enumerated().filter { $0.offset != m.i && $0.offset != m.j }.map(\.element)
        rest.append(made)
        return (made, rest)
    }

    static func reachable(_ items: [Item], _ target: Int) -> Bool {
        if items.contains(where: { $0.value == target }) { return true }
        guard items.count > 1 else { return false }
        return moves(items).contains { reachable(apply(items, $0).1, target) }
    }

    static func sign(_ op: Character) -> String {
        switch op { case "*": return "×"; case "/": return "÷"; case "-": return "−"; default: return "+" }
    }

    /// Depth-first from `items`; returns the item equal to the target.
    static func search(_ items: [Item], target: Int, lines: inout [String], budget: inout Int, rng: inout TrainRandom,
                       guide: Double) -> Item? {
        var all = moves(items)
        all.shuffle(using: &rng)
        if Double(rng.next() % 1000) / 1000 < guide, let k = all.firstIndex(where: { reachable(apply(items, $0).1, target) }) {
            all.insert(all.remove(at: k), at: 0)
        }
        for m in all {
            guard budget > 0 else { return nil }
            budget -= 1
            let (made, rest) = apply(items, m)
            let a = items[m.i].value, b = items[m.j].value
            let head = "Try \(a) \(sign(m.op)) \(b) = \(m.result)."
            if m.result == target {
                lines.append(head + " Target reached.")
                return made
            }
            if rest.count == 1 {
                lines.append(head + " Nothing left. Back.")
                continue
            }
            if rest.count == 2 {
                // Every result of the last pair, listed.
                let last = moves(rest)
                var results = last.map { "\(rest[$0.i].value) \(sign($0.op)) \(rest[$0.j].value) = \($0.result)" }
                if let hit = last.firstIndex(where: { $0.result == target }) {
                    results = Array(results.prefix(hit + 1))
                    lines.append(head + " Left: \(rest.map { String($0.value) }.joined(separator: ", ")). "
                                 + results.joined(separator: ", ") + ". Target reached.")
                    return apply(rest, last[hit]).0
                }
                lines.append(head + " Left: \(rest.map { String($0.value) }.joined(separator: ", ")). "
                             + results.joined(separator: ", ") + ". Back.")
                continue
            }
            lines.append(head + " Left: \(rest.map { String($0.value) }.joined(separator: ", ")).")
            if let found = search(rest, target: target, lines: &lines, budget: &budget, rng: &rng, guide: guide) {
                return found
            }
            lines.append("Back from \(m.result).")
        }
        return nil
    }
}
