// JSON Schema to GBNF, after llama.cpp's json-schema-to-grammar (common/json-schema-to-grammar.cpp): one rule per
// object, array and $ref, properties in schema order (required ones first), the primitive rules of
// JSONSchemaPrimitives. Every keyword is either handled, an annotation, or an error naming it and its JSON path.
// Differences: missing `additionalProperties` allows no extra keys (as llama.cpp and OpenAI strict mode); `oneOf` is
// `anyOf` (its branches must not overlap for the output to validate); extra keys never spell a declared one.

import Foundation

extension Grammar {
    public convenience init(jsonSchema: String) throws(ConstraintError) {
        try self.init(jsonSchema: SchemaJSON.parse(jsonSchema))
    }

    public convenience init(jsonSchema: SchemaJSON) throws(ConstraintError) {
        try self.init(gbnf: JSONSchemaConverter.convert(jsonSchema))
    }
}

struct JSONSchemaConverter {
    private let root: SchemaJSON
    private var rules: [(String, String)] = []
    private var ruleNames: Set<String> = []
    private var refRules: [String: String] = [:]

    static let annotations: Set<String> = [
        "title", "description", "$schema", "$id", "$comment", "default", "examples", "deprecated", "readOnly",
        "writeOnly", "$defs", "definitions",
    ]
    static let handled: Set<String> = [
        "type", "properties", "required", "additionalProperties", "enum", "const", "items", "prefixItems", "minItems",
        "maxItems", "anyOf", "oneOf", "$ref", "minLength", "maxLength", "pattern", "minimum", "maximum",
        "exclusiveMinimum", "exclusiveMaximum", "format",
    ]
    static let objectKeywords: Set<String> = ["properties", "required", "additionalProperties"]
    static let arrayKeywords: Set<String> = ["items", "prefixItems", "minItems", "maxItems"]
    static let stringKeywords: Set<String> = ["minLength", "maxLength", "pattern", "format"]
    static let numberKeywords: Set<String> = ["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"]

    static func convert(_ schema: SchemaJSON) throws(ConstraintError) -> String {
        var converter = JSONSchemaConverter(root: schema)
        let body = try converter.visit(schema, path: "#")
        converter.rules.insert(("root", body), at: 0)
        return converter.rules.map { "\($0.0) ::= \($0.1)" }.joined(separator: "\n") + "\n"
    }

    private init(root: SchemaJSON) {
        self.root = root
        ruleNames.insert("root")
    }

    // MARK: - Rules

    mutating func addRule(_ name: String, _ body: String) -> String {
        var name = name.map { $0.isLetter && $0.isASCII || $0.isNumber && $0.isASCII || $0 == "-" ? $0 : "-" }
            .reduce(into: "") { $0.append($1) }
        if name.isEmpty { name = "rule" }
        var unique = name
        var n = 1
        // primitive names stay free for primitive(_:), which may be asked for later
        while ruleNames.contains(unique) || JSONSchemaPrimitives.rules[unique] != nil { n += 1; unique = "\(name)\(n)" }
        ruleNames.insert(unique)
        rules.append((unique, body))
        return unique
    }

    /// A primitive rule (and those it uses), added once under its own name.
    mutating func primitive(_ name: String) -> String {
        guard !ruleNames.contains(name) else { return name }
        let (body, uses) = JSONSchemaPrimitives.rules[name]!
        ruleNames.insert(name)
        rules.append((name, body))
        for use in uses { _ = primitive(use) }
        return name
    }

    // MARK: - Schemas

    mutating func visit(_ schema: SchemaJSON, path: String) throws(ConstraintError) -> String {
        if case .bool(let b) = schema {
            guard b else { throw ConstraintError("schema false at \(path) admits no value") }
            return primitive("value")
        }
        guard case .object(let members) = schema else { throw ConstraintError("schema at \(path) is not an object or boolean") }
        let keys = Set(members.map(\.key))
        for key in members.map(\.key) where !JSONSchemaConverter.annotations.contains(key) && !JSONSchemaConverter.handled.contains(key) {
            throw ConstraintError("unsupported JSON Schema keyword '\(key)' at \(path)")
        }
        let active = keys.subtracting(JSONSchemaConverter.annotations)

        if let ref = schema["$ref"] {
            guard active == ["$ref"] else { throw ConstraintError("keywords beside '$ref' at \(path) are not supported: \(active.subtracting(["$ref"]).sorted())") }
            guard case .string(let pointer) = ref else { throw ConstraintError("'$ref' at \(path) is not a string") }
            return try reference(pointer, path: path + "/$ref")
        }
        for keyword in ["anyOf", "oneOf"] {
            guard let options = schema[keyword] else { continue }
            guard active == [keyword] else {
                throw ConstraintError("keywords beside '\(keyword)' at \(path) are not supported: \(active.subtracting([keyword]).sorted())")
            }
            guard case .array(let list) = options, !list.isEmpty else { throw ConstraintError("'\(keyword)' at \(path) is not a non-empty array") }
            var alternatives: [String] = []
            for (i, option) in list.enumerated() { alternatives.append(try visit(option, path: "\(path)/\(keyword)/\(i)")) }
            return "(" + alternatives.joined(separator: " | ") + ")"
        }
        if let value = schema["const"] {
            return GBNFText.literal(value.text) + " " + primitive("space")
        }
        if let values = schema["enum"] {
            guard case .array(let list) = values, !list.isEmpty else { throw ConstraintError("'enum' at \(path) is not a non-empty array") }
            return "(" + list.map { GBNFText.literal($0.text) }.joined(separator: " | ") + ") " + primitive("space")
        }

        var types: [String]
        switch schema["type"] {
        case .string(let t)?: types = [t]
        case .array(let list)?:
            types = []
            for item in list {
                guard case .string(let t) = item else { throw ConstraintError("'type' at \(path) lists a non-string") }
                types.append(t)
            }
            guard !types.isEmpty else { throw ConstraintError("'type' at \(path) is an empty list") }
        case nil:
            if !active.isDisjoint(with: JSONSchemaConverter.objectKeywords) { types = ["object"] }
            else if !active.isDisjoint(with: JSONSchemaConverter.arrayKeywords) { types = ["array"] }
            else if !active.isDisjoint(with: JSONSchemaConverter.stringKeywords) { types = ["string"] }
            else if !active.isDisjoint(with: JSONSchemaConverter.numberKeywords) { types = ["number"] }
            else { return primitive("value") }
        default: throw ConstraintError("'type' at \(path) is not a string or a list")
        }
        var alternatives: [String] = []
        for type in types { alternatives.append(try visit(schema, type: type, path: path)) }
        return alternatives.count == 1 ? alternatives[0] : "(" + alternatives.joined(separator: " | ") + ")"
    }

    mutating func visit(_ schema: SchemaJSON, type: String, path: String) throws(ConstraintError) -> String {
        switch type {
        case "null": return primitive("null")
        case "boolean": return primitive("boolean")
        case "integer": return try integer(schema, path: path)
        case "number":
            for keyword in JSONSchemaConverter.numberKeywords where schema[keyword] != nil {
                throw ConstraintError("'\(keyword)' on type number at \(path) is not supported (a grammar bounds integers only)")
            }
            return primitive("number")
        case "string": return try string(schema, path: path)
        case "array": return try array(schema, path: path)
        case "object": return try object(schema, path: path)
        default: throw ConstraintError("unknown type '\(type)' at \(path)/type")
        }
    }

    mutating func reference(_ pointer: String, path: String) throws(ConstraintError) -> String {
        if let name = refRules[pointer] { return name }
        guard pointer.hasPrefix("#") else { throw ConstraintError("'$ref' \(pointer.debugDescription) at \(path) is not local to the schema") }
        var target = root
        for raw in pointer.dropFirst().split(separator: "/", omittingEmptySubsequences: true) {
            let token = raw.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
            switch target {
            case .object: if let next = target[token] { target = next; continue }
            case .array(let items): if let i = Int(token), items.indices.contains(i) { target = items[i]; continue }
            default: break
            }
            throw ConstraintError("'$ref' \(pointer.debugDescription) at \(path) points at nothing")
        }
        let base = pointer.split(separator: "/").last.map(String.init) ?? "root"
        let name = addRule("ref-" + base, "")
        refRules[pointer] = name
        let body = try visit(target, path: pointer)
        let index = rules.firstIndex { $0.0 == name }!
        rules[index].1 = body
        return name
    }

    // MARK: - Types

    func count(_ schema: SchemaJSON, _ keyword: String, path: String) throws(ConstraintError) -> Int? {
        guard let value = schema[keyword] else { return nil }
        guard let d = value.double, d >= 0, d == d.rounded(), d <= Double(GBNFParser.maxRepetition) else {
            throw ConstraintError("'\(keyword)' at \(path) must be a whole number from 0 to \(GBNFParser.maxRepetition), got \(value.text)")
        }
        return Int(d)
    }

    mutating func integer(_ schema: SchemaJSON, path: String) throws(ConstraintError) -> String {
        var lo: Int? = nil, hi: Int? = nil
        func bound(_ keyword: String) throws(ConstraintError) -> Double? {
            guard let value = schema[keyword] else { return nil }
            if case .bool = value { return nil }
            guard let d = value.double, abs(d) <= 1e15 else {
                throw ConstraintError("'\(keyword)' at \(path) must be a number within ±1e15, got \(value.text)")
            }
            return d
        }
        let exclusiveFlag = { (k: String) -> Bool in schema[k] == .bool(true) }  // draft 4
        if let m = try bound("minimum") { lo = Int(exclusiveFlag("exclusiveMinimum") ? m.rounded(.down) + 1 : m.rounded(.up)) }
        if let m = try bound("exclusiveMinimum") { lo = max(lo ?? Int.min, Int(m.rounded(.down) + 1)) }
        if let m = try bound("maximum") { hi = Int(exclusiveFlag("exclusiveMaximum") ? m.rounded(.up) - 1 : m.rounded(.down)) }
        if let m = try bound("exclusiveMaximum") { hi = min(hi ?? Int.max, Int(m.rounded(.up) - 1)) }
        if lo == nil && hi == nil { return primitive("integer") }
        guard let range = JSONSchemaPrimitives.integerRange(lo: lo, hi: hi) else {
            throw ConstraintError("integer bounds at \(path) admit no value (minimum \(lo!) above maximum \(hi!))")
        }
        return range + " " + primitive("space")
    }

    mutating func string(_ schema: SchemaJSON, path: String) throws(ConstraintError) -> String {
        let minLength = try count(schema, "minLength", path: path)
        let maxLength = try count(schema, "maxLength", path: path)
        if let minLength, let maxLength, minLength > maxLength {
            throw ConstraintError("minLength \(minLength) above maxLength \(maxLength) at \(path)")
        }
        let lengths = minLength != nil || maxLength != nil
        if let format = schema["format"] {
            guard schema["pattern"] == nil, !lengths else { throw ConstraintError("'format' with 'pattern' or a length at \(path) is not supported") }
            switch format {
            case .string("date"): return primitive("date-string")
            case .string("time"): return primitive("time-string")
            case .string("date-time"): return primitive("date-time-string")
            case .string("uuid"): return primitive("uuid")
            default: throw ConstraintError("unsupported format \(format.text) at \(path)/format")
            }
        }
        if let pattern = schema["pattern"] {
            guard !lengths else { throw ConstraintError("'pattern' with 'minLength'/'maxLength' at \(path) is not supported") }
            guard case .string(let regex) = pattern else { throw ConstraintError("'pattern' at \(path) is not a string") }
            let body: String
            do { body = try RegexTranslator.translate(regex, jsonString: true) }
            catch { throw ConstraintError("\(error.message) (at \(path)/pattern)") }
            return addRule(ruleName(path, "string"), "\"\\\"\" " + body + " \"\\\"\" " + primitive("space"))
        }
        guard lengths else { return primitive("string") }
        let char = primitive("char")
        return "\"\\\"\" \(char){\(minLength ?? 0),\(maxLength.map(String.init) ?? "")} \"\\\"\" " + primitive("space")
    }

    mutating func array(_ schema: SchemaJSON, path: String) throws(ConstraintError) -> String {
        var prefix: [String] = []
        if let prefixItems = schema["prefixItems"] {
            guard case .array(let list) = prefixItems else { throw ConstraintError("'prefixItems' at \(path) is not an array") }
            for (i, item) in list.enumerated() { prefix.append(try visit(item, path: "\(path)/prefixItems/\(i)")) }
        }
        var item: String? = nil
        switch schema["items"] {
        case .bool(false)?: item = nil
        case let items?: item = try visit(items, path: "\(path)/items")
        case nil: item = prefix.isEmpty ? primitive("value") : nil
        }
        let minItems = try count(schema, "minItems", path: path) ?? 0
        let maxItems = try count(schema, "maxItems", path: path)
        if let maxItems, prefix.count > maxItems {
            throw ConstraintError("maxItems \(maxItems) at \(path) is below the \(prefix.count) prefixItems")
        }
        let restMin = max(0, minItems - prefix.count)
        let restMax = item == nil ? 0 : maxItems.map { $0 - prefix.count }
        if let restMax, restMin > restMax { throw ConstraintError("minItems \(minItems) at \(path) exceeds what the items allow") }
        let space = primitive("space")
        let comma = "\",\" \(space) "
        var body = prefix.joined(separator: " " + comma)
        if let item, restMax != 0 {
            let upper = { (k: Int) in restMax.map { String($0 - k) } ?? "" }
            if !prefix.isEmpty {
                body += " (\(comma)\(item)){\(restMin),\(upper(0))}"
            } else {
                let rest = "\(item) (\(comma)\(item)){\(max(0, restMin - 1)),\(upper(1))}"
                body = restMin == 0 ? "(\(rest))?" : rest
            }
        }
        return addRule(ruleName(path, "array"), "\"[\" \(space) \(body) \"]\" \(space)")
    }

    func ruleName(_ path: String, _ kind: String) -> String {
        let last = path.split(separator: "/").last.map(String.init) ?? ""
        return last == "#" || last.isEmpty || Int(last) != nil ? kind : "\(last)-\(kind)"
    }
}
