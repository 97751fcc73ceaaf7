// A grammar for "one call of one of these functions" (OpenAI's `tool_choice: "required"`): each function's call is
// its fixed text (the template's opening marker and the function's name, as the caller writes them), then its
// arguments under the function's `parameters` schema through the JSON Schema converter, then the fixed closing text.
// The per-function schema grammars are joined with their rule names prefixed (`t0-`, `t1-`, ...) so they cannot meet.

extension ResponseFormat {
    /// One function's call: `prefix`, arguments following `parameters` (nil: any JSON object), `suffix`.
    public struct CallShape: Sendable, Equatable {
        public var name: String
        public var prefix: String
        public var parameters: SchemaJSON?
        public var suffix: String

        public init(name: String, prefix: String, parameters: SchemaJSON?, suffix: String) {
            self.name = name
            self.prefix = prefix
            self.parameters = parameters
            self.suffix = suffix
        }
    }

    /// Exactly one call of one of `calls`.
    public static func grammar(oneCallOf calls: [CallShape]) throws(ConstraintError) -> Grammar {
        guard !calls.isEmpty else { throw ConstraintError("a required tool call needs at least one tool") }
        var out = "root ::= " + calls.indices.map { "call\($0)" }.joined(separator: " | ") + "\n"
        for (i, call) in calls.enumerated() {
            let arguments: String
            do throws(ConstraintError) {
                let schema: SchemaJSON
                if let p = call.parameters { schema = p } else { schema = try SchemaJSON.parse(#"{"type": "object"}"#) }
                arguments = try JSONSchemaConverter.convert(schema)
            } catch {
                throw ConstraintError("tools[\(call.name.debugDescription)].parameters: \(error.message)")
            }
            let prefix = "t\(i)-"
            out += "call\(i) ::= " + GBNFText.literal(call.prefix) + " " + prefix + "root " + GBNFText.literal(call.suffix) + "\n"
            out += try GBNFRenaming.prefixing(arguments, with: prefix)
        }
        return try Grammar(gbnf: out)
    }
}

enum GBNFRenaming {
    /// `source` with `prefix` put before every rule name, where defined and where referenced.
    static func prefixing(_ source: String, with prefix: String) throws(ConstraintError) -> String {
        var offsets: [Int] = []
        func collect(_ terms: [GBNFTerm]) {
            for term in terms {
                switch term {
                case .ref(_, let offset): offsets.append(offset)
                case .group(let alternatives): for a in alternatives { collect(a) }
                case .repetition(let inner, _, _): collect([inner])
                case .literal, .charClass, .any: break
                }
            }
        }
        for rule in try GBNFParser.parse(source) {
            offsets.append(rule.offset)
            for alternative in rule.alternatives { collect(alternative) }
        }
        var bytes = Array(source.utf8)
        for offset in Set(offsets).sorted(by: >) { bytes.insert(contentsOf: prefix.utf8, at: offset) }
        return String(decoding: bytes, as: UTF8.self)
    }
}
