// JSON Schema to grammar: integer ranges against brute force, object member order and optional commas, and errors
// that name the keyword and its JSON path.
import Testing
@testable import R1Constrain

@Test func integerRangesAcceptExactlyTheirMembers() throws {
    let bounds: [(Int?, Int?)] = [(-5, 5), (0, 0), (7, 123), (-130, -7), (nil, -100), (95, nil), (-12, nil), (1, 1000), (19, 21)]
    for (lo, hi) in bounds {
        var schema = #"{"type": "integer""#
        if let lo { schema += #", "minimum": \#(lo)"# }
        if let hi { schema += #", "maximum": \#(hi)"# }
        let g = try Grammar(jsonSchema: schema + "}")
        for n in -1100...1100 {
            let inside = (lo.map { n >= $0 } ?? true) && (hi.map { n <= $0 } ?? true)
            #expect(g.accepts(String(n)) == inside, "\(n) in [\(String(describing: lo)), \(String(describing: hi))]")
        }
        #expect(!g.accepts("-0") && !g.accepts("007"))
    }
    let exclusive = try Grammar(jsonSchema: #"{"type": "integer", "exclusiveMinimum": 2.5, "exclusiveMaximum": 6}"#)
    #expect((0...8).filter { exclusive.accepts(String($0)) } == [3, 4, 5])
}

@Test func objectsKeepOrderAndCommas() throws {
    let g = try Grammar(jsonSchema: #"""
        {"type": "object", "properties": {"a": {"type": "integer"}, "b": {"type": "string"}, "c": {"type": "boolean"}},
         "required": ["b"], "additionalProperties": false}
        """#)
    #expect(g.accepts(#"{"b": "x"}"#))
    #expect(g.accepts(#"{"b":"x","a":1,"c":true}"#))
    #expect(g.accepts(#"{"b":"x","c":false}"#))
    #expect(!g.accepts(#"{"a":1}"#))
    #expect(!g.accepts(#"{"b":"x",}"#))
    #expect(!g.accepts(#"{"b":"x","d":1}"#))
    let optional = try Grammar(jsonSchema: #"{"properties": {"a": {"type": "null"}, "b": {"type": "null"}}}"#)
    for ok in ["{}", #"{"a":null}"#, #"{"b":null}"#, #"{"a":null,"b":null}"#] { #expect(optional.accepts(ok), "\(ok)") }
    for bad in [#"{,"b":null}"#, #"{"a":null,}"#, #"{"b":null,"a":null}"#] { #expect(!optional.accepts(bad), "\(bad)") }
    let nested = try Grammar(jsonSchema: #"{"type": "object", "properties": {"a": {"type": "object"}}, "required": ["a"]}"#)
    #expect(nested.accepts(#"{"a": {"x": [1], "y": {}}}"#))
    #expect(nested.accepts(#"{"a": {}}"#))  // the any-object rule is not the outer object's rule
    let extra = try Grammar(jsonSchema: #"{"properties": {"ab": {"type": "null"}}, "additionalProperties": {"type": "integer"}}"#)
    #expect(extra.accepts(#"{"ab":null,"a":1,"abc":2,"b":3}"#))
    #expect(!extra.accepts(#"{"ab":null,"ab":1}"#))
}

@Test func recursiveRefsAndFormats() throws {
    let tree = try Grammar(jsonSchema: #"""
        {"$defs": {"t": {"type": "array", "items": {"$ref": "#/$defs/t"}}}, "$ref": "#/$defs/t"}
        """#)
    #expect(tree.accepts("[[],[[]]]"))
    #expect(!tree.accepts("[1]"))
    let date = try Grammar(jsonSchema: #"{"type": "string", "format": "date"}"#)
    for ok in ["2024-02-29", "2000-02-29", "1999-12-31", "0001-01-01"] { #expect(date.accepts("\"\(ok)\""), "\(ok)") }
    for bad in ["2023-02-29", "1900-02-29", "2024-04-31", "0000-01-01", "2024-13-01"] { #expect(!date.accepts("\"\(bad)\""), "\(bad)") }
    let uuid = try Grammar(jsonSchema: #"{"format": "uuid"}"#)
    #expect(uuid.accepts(#""123e4567-e89b-12d3-a456-426614174000""#))
}

@Test func unsupportedKeywordsAreErrorsWithTheirPath() {
    func message(_ schema: String) -> String {
        do { _ = try Grammar(jsonSchema: schema); return "" } catch { return error.message }
    }
    #expect(message(#"{"type": "object", "properties": {"a": {"type": "array", "uniqueItems": true}}}"#)
            == "unsupported JSON Schema keyword 'uniqueItems' at #/properties/a")
    #expect(message(#"{"allOf": [{}]}"#) == "unsupported JSON Schema keyword 'allOf' at #")
    #expect(message(#"{"type": "number", "minimum": 0}"#).hasPrefix("'minimum' on type number at # is not supported"))
    #expect(message(#"{"type": "string", "format": "email"}"#) == #"unsupported format "email" at #/format"#)
    #expect(message(##"{"$ref": "#/$defs/missing"}"##) == ##"'$ref' "#/$defs/missing" at #/$ref points at nothing"##)
    #expect(message(#"{"type": "strin"}"#) == "unknown type 'strin' at #/type")
    #expect(message(#"{"type": "integer", "minimum": 5, "maximum": 1}"#) == "integer bounds at # admit no value (minimum 5 above maximum 1)")
    #expect(message(#"{"type": "string", "pattern": "^(?!x)$"}"#).contains("(at #/pattern)"))
    #expect(message(#"{"type": "object""#).hasPrefix("JSON byte 17: unterminated object"))
}
