// GBNF parsing and recognition: llama.cpp's grammar syntax, errors that name the position, left recursion refused.
import Testing
@testable import R1Constrain

@Test func literalsClassesAndRepetitions() throws {
    let g = try Grammar(gbnf: #"root ::= "a" [b-d]+ ("x" | "yz")? [0-9]{2,3} # comment"#)
    #expect(g.accepts("ab12"))
    #expect(g.accepts("abcdyz123"))
    #expect(!g.accepts("a12"))
    #expect(!g.accepts("ab1"))
    #expect(!g.accepts("ab1234"))
    #expect(g.acceptsPrefix("abx1"))
}
