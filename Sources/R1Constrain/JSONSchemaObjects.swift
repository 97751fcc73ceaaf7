// Objects for JSONSchemaConverter: required properties in schema order, then each optional one present or not (commas
// right whichever are present), then extra keys when `additionalProperties` is true or a schema. Extra keys are plain
// strings (no escapes) that spell none of the declared names, so a validator never checks them against a property.

import Foundation

extension JSONSchemaConverter {
    mutating func object(_ schema: SchemaJSON, path: String) throws(ConstraintError) -> String {
        var properties: [(String, String)] = []  // (name, value expression)
        if let declared = schema["properties"] {
            guard case .object(let members) = declared else { throw ConstraintError("'properties' at \(path) is not an object") }
            for member in members {
                properties.append((member.key, try visit(member.value, path: "\(path)/properties/\(pointerToken(member.key))")))
            }
        }
        var required: [String] = []
        if let list = schema["required"] {
            guard case .array(let names) = list else { throw ConstraintError("'required' at \(path) is not an array") }
            for name in names {
                guard case .string(let s) = name else { throw ConstraintError("'required' at \(path) lists a non-string") }
                if !required.contains(s) { required.append(s) }
            }
        }
        var additional: String? = nil
        switch schema["additionalProperties"] {
        case nil, .bool(false)?:
            additional = nil
        case let extra?:
            additional = try visit(extra, path: "\(path)/additionalProperties")
        }
        if schema["properties"] == nil && schema["additionalProperties"] == nil {
            additional = primitive("value")  // {"type": "object"}: any members
        }
        for name in required where !properties.contains(where: { $0.0 == name }) {
            guard let additional else {
                throw ConstraintError("required property \(name.debugDescription) at \(path) is not in 'properties' and no additional properties are allowed")
            }
            properties.append((name, additional))
        }

        let space = primitive("space")
        let comma = "\",\" \(space) "
        func kv(_ name: String, _ value: String) -> String {
            GBNFText.literal(SchemaJSON.quote(name)) + " \(space) \":\" \(space) \(value)"
        }
        let requiredKVs = required.map { name in kv(name, properties.first { $0.0 == name }!.1) }
        let optionalKVs = properties.filter { !required.contains($0.0) }.map { kv($0.0, $0.1) }
        let base = ruleName(path, "object")
        var extraKV: String? = nil
        if let additional {
            let key = notKeys(properties.map(\.0), base: base)
            extraKV = addRule(base + "-extra-kv", "\(key) \":\" \(space) \(additional)")
        }

        var body: String
        if !requiredKVs.isEmpty {
            body = requiredKVs.joined(separator: " " + comma)
            for option in optionalKVs { body += " (\(comma)\(option))?" }
            if let extraKV { body += " (\(comma)\(extraKV))*" }
        } else {
            // start(i): the first present member is option i or later (or an extra key)
            var start: String = extraKV.map { "(\($0) (\(comma)\($0))*)?" } ?? "\"\""
            var tail: String = extraKV.map { "(\(comma)\($0))*" } ?? "\"\""
            for option in optionalKVs.reversed() {
                let tailRule = addRule(base + "-tail", tail)
                start = addRule(base + "-start", "\(option) \(tailRule) | \(start)")
                tail = "(\(comma)\(option))? \(tailRule)"
            }
            body = start
        }
        return addRule(base, "\"{\" \(space) \(body) \"}\" \(space)")
    }

    /// A JSON string rule (with trailing space) for keys other than `names`: a trie walk that leaves every name
    /// either by a different character or by continuing past its end.
    mutating func notKeys(_ names: [String], base: String) -> String {
        let plain: [ClosedRange<UInt32>] = [0x20...0x21, 0x23...0x5B, 0x5D...0x7E, 0x80...UTF8Ranges.maxScalar]
        let keyChar = addRule(base + "-key-char", GBNFText.charClass(plain))
        let space = primitive("space")
        if names.isEmpty { return addRule(base + "-key", "\"\\\"\" \(keyChar)* \"\\\"\" \(space)") }
        let words = names.map { Array($0.unicodeScalars).map(\.value) }
        func node(_ prefix: [UInt32]) -> String {
            let matching = words.filter { $0.count >= prefix.count && Array($0.prefix(prefix.count)) == prefix }
            let isName = matching.contains { $0.count == prefix.count }
            let children = Array(Set(matching.filter { $0.count > prefix.count }.map { $0[prefix.count] })).sorted()
                .filter { c in plain.contains { $0.contains(c) } }
            var alternatives: [String] = []
            if !isName { alternatives.append("\"\"") }
            let others = UTF8Ranges.normalize(plain.flatMap { r in subtract(r, children) })
            if !others.isEmpty { alternatives.append("\(GBNFText.charClass(others)) \(keyChar)*") }
            for c in children {
                alternatives.append(GBNFText.literal(String(Unicode.Scalar(c)!)) + " " + node(prefix + [c]))
            }
            return addRule(base + "-key-trie", alternatives.joined(separator: " | "))
        }
        let trie = node([])
        return addRule(base + "-key", "\"\\\"\" \(trie) \"\\\"\" \(space)")
    }

    private func subtract(_ r: ClosedRange<UInt32>, _ points: [UInt32]) -> [ClosedRange<UInt32>] {
        var pieces = [r]
        for p in points {
            pieces = pieces.flatMap { piece -> [ClosedRange<UInt32>] in
                guard piece.contains(p) else { return [piece] }
                var out: [ClosedRange<UInt32>] = []
                if piece.lowerBound < p { out.append(piece.lowerBound...(p - 1)) }
                if piece.upperBound > p { out.append((p + 1)...piece.upperBound) }
                return out
            }
        }
        return pieces
    }

    private func pointerToken(_ key: String) -> String {
        key.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
    }
}
