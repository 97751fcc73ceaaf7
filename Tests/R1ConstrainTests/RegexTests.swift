// The JSON Schema `pattern` subset, checked against strings whose ECMA-262 answer is known.
import Testing
@testable import R1Constrain

@Test func regexSubsetMatchesLikeECMAScript() throws {
    let cases: [(String, [String], [String])] = [
        ("^\\d{3}-\\d{4}$", ["555-1234"], ["5551234", "555-12345", "a55-1234"]),
        ("^[A-Z][a-z]+(?:_[a-z]+)*$", ["Hello", "Ab_cd_ef"], ["hello", "A", "Ab_"]),
        ("^(cat|dog)s?$", ["cat", "dogs"], ["cow", "catss"]),
        ("^[^\\s@]+@[^\\s@]+\\.\\w{2,3}$", ["a@b.com", "x.y@z.io"], ["a b@c.com", "a@b.c", "@b.com"]),
        ("^a.c$", ["abc", "a€c"], ["a\nc", "ac"]),
        ("^\\w+\\W\\S$", ["ab!x"], ["ab! "]),
        ("ab+c", ["abbc", "xxabcyy"], ["ac", "abx"]),
        ("^x{2}y{1,}z{0,2}$", ["xxy", "xxyyyzz"], ["xy", "xxyzzz"]),
        ("^[\\u00e0-\\u00e5\\-]+$", ["àå-"], ["a"]),
    ]
    for (pattern, good, bad) in cases {
        let g = try Grammar(regex: pattern)
        for s in good { #expect(g.accepts(s), "\(pattern) should match \(s.debugDescription)") }
        for s in bad { #expect(!g.accepts(s), "\(pattern) should not match \(s.debugDescription)") }
    }
}

@Test func regexErrorsNameThePosition() {
    func message(_ pattern: String) -> String {
        do { _ = try Grammar(regex: pattern); return "" } catch { return error.message }
    }
    #expect(message("^(?=a)b$") == #"regex "^(?=a)b$", position 1: lookaround and named groups are not supported at "(?=a)b$""#)
    #expect(message("^(a)\\1$").contains("position 4: escape '\\1' is not supported"))
    #expect(message("^a$b").contains("'$' inside the pattern"))
    #expect(message("^[a-").contains("unclosed '['"))
    #expect(message("^*a").contains("quantifier with nothing to repeat"))
}

@Test func patternsInsideJSONStringsEscapeQuotesAndBackslashes() throws {
    let g = try Grammar(jsonSchema: #"{"type": "string", "pattern": "^a\"b\\\\c$"}"#)
    #expect(g.accepts(#""a\"b\\c""#))
    #expect(!g.accepts(#""a"b\c""#))
}
