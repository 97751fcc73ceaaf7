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

@Test func llamaCppGrammarsCompile() throws {
    for (name, text) in try ConstrainFixtures.files("grammars", ext: "gbnf") {
        #expect(throws: Never.self, "\(name)") { try Grammar(gbnf: text) }
    }
    let json = try Grammar(gbnf: ConstrainFixtures.files("grammars", ext: "gbnf").first { $0.0 == "json.gbnf" }!.1)
    #expect(json.accepts(#"{"a": [1, -2.5e3, true, null, "x\u00e9\n"], "b": {}}"#))
    #expect(!json.accepts(#"{"a": [1,]}"#))
    #expect(!json.accepts(#"{"a": "unterminated}"#))
}

@Test func unicodeClassesRunOverUTF8Bytes() throws {
    let g = try Grammar(gbnf: #"root ::= [^a]{2} [ぁ-ゟ] "\u00e9" "\U0001F600""#)
    #expect(g.accepts("bé" + "ぃ" + "é😀"))
    #expect(g.accepts("😀\u{10FFFF}ぁé😀"))
    #expect(!g.accepts("ab" + "ぃ" + "é😀"))
    #expect(!g.accepts("bé" + "ア" + "é😀"))
    // a prefix ending inside a multi-byte character is alive; a stray continuation byte never is
    let bytes = Array("bcぃ".utf8)
    #expect(g.shared.withLock { $0.automaton.step($0.automaton.initialState, bytes: bytes.dropLast()) } != GrammarAutomaton.dead)
    #expect(g.shared.withLock { $0.automaton.step($0.automaton.initialState, bytes: [0x80]) } == GrammarAutomaton.dead)
}

@Test func utf8SequencesCoverExactlyTheRange() {
    for (lo, hi) in [(0x00, 0x10FFFF), (0x7F, 0x800), (0xD000, 0xE100), (0x1F600, 0x1F64F), (0x41, 0x41)] as [(UInt32, UInt32)] {
        let sequences = UTF8Ranges.sequences([lo...hi])
        var covered = 0
        for sequence in sequences { covered += sequence.reduce(1) { $0 * $1.count } }
        let surrogates = max(0, Int(min(hi, 0xDFFF)) - Int(max(lo, 0xD800)) + 1)
        #expect(covered == Int(hi - lo + 1) - surrogates, "\(lo)...\(hi)")
        for scalar in [lo, hi, (lo + hi) / 2] where !(0xD800...0xDFFF).contains(scalar) {
            let encoded = UTF8Ranges.encode(scalar)
            #expect(sequences.contains { $0.count == encoded.count && zip($0, encoded).allSatisfy { $0.contains($1) } })
        }
    }
}

@Test func repetitionsAndEmptyAlternatives() throws {
    let g = try Grammar(gbnf: """
        root ::= item{2,} sep? | "" # empty alternative
        item ::= "x" | "y"{1,2}
        sep  ::= ";"
        """)
    #expect(g.accepts(""))
    #expect(g.accepts("xy"))
    #expect(g.accepts("xyyx;"))
    #expect(!g.accepts("x"))
    #expect(!g.accepts(";"))
}

@Test func parseErrorsNameThePositionAndText() {
    func message(_ source: String) -> String {
        do { _ = try Grammar(gbnf: source); return "" } catch { return error.message }
    }
    #expect(message("root ::= \"a\" foo") == "GBNF line 1, column 14: undefined rule 'foo' at \"foo\"")
    #expect(message("root ::= [a-") .hasPrefix("GBNF line 1, column 10: unterminated character class"))
    #expect(message("root = \"a\"").hasPrefix("GBNF line 1, column 6: expected '::=' after rule name 'root'"))
    #expect(message("start ::= \"a\"") == "grammar has no 'root' rule")
    #expect(message("root ::= \"a\"{3,1}").contains("repetition maximum is below its minimum"))
    #expect(message("root ::= \"\\q\"").contains("unknown escape '\\q'"))
    #expect(message("root ::= expr\nexpr ::= expr \"+\" \"1\" | \"1\"") == "left recursion in rule 'expr' (it can start with itself without consuming input)")
    #expect(message("root ::= a\na ::= b? a \"x\" | \"y\"\nb ::= \"z\"") .hasPrefix("left recursion in rule 'a'"))
    #expect(message("root ::= \"a\"\nroot ::= \"b\"").contains("rule 'root' is defined twice"))
}
