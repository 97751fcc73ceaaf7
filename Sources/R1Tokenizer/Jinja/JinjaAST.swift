// The syntax tree of a parsed template, after jinja2's nodes.py (only what chat templates use).

indirect enum Expr: Sendable {
    case literal(JinjaValue)
    case name(String)
    case list([Expr])
    case tuple([Expr])
    case dict([(Expr, Expr)])
    case getattr(Expr, String)
    case getitem(Expr, Expr)
    case slice(Expr, start: Expr?, stop: Expr?, step: Expr?)
    case call(Expr, Arguments)
    case filter(Expr, name: String, Arguments)
    case test(Expr, name: String, Arguments, negated: Bool)
    case unary(String, Expr)
    case binary(String, Expr, Expr)
    case compare(Expr, [(String, Expr)])
    case conditional(test: Expr, then: Expr, otherwise: Expr?)
}

struct Arguments: Sendable {
    var positional: [Expr] = []
    var keyword: [(String, Expr)] = []
    var starArgs: Expr? = nil
    var starKwargs: Expr? = nil
}

enum AssignTarget: Sendable {
    case name(String)
    case names([String])
    case attribute(String, String)
}

indirect enum Node: Sendable {
    case text(String)
    case output(Expr)
    case ifChain([(Expr, [Node])], otherwise: [Node])
    case forLoop(ForLoop)
    case set(AssignTarget, Expr)
    case setBlock(AssignTarget, filters: [(String, Arguments)], body: [Node])
    case macro(Macro)
    case callBlock(call: Expr, caller: Macro)
    case filterBlock(filters: [(String, Arguments)], body: [Node])
    case with([(String, Expr)], body: [Node])
    case block([Node])
    case loopBreak, loopContinue
}

struct ForLoop: Sendable {
    var target: AssignTarget
    var iterable: Expr
    var condition: Expr?
    var body: [Node]
    var otherwise: [Node]
    var line: Int
}

struct Macro: Sendable {
    var name: String
    var parameters: [(String, Expr?)]
    var body: [Node]
}
