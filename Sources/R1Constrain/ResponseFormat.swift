// Request fields that ask for structured output, turned into grammars: OpenAI's `response_format` and a tool's
// `parameters`, Ollama's `format`. Errors name the field and the bad value so a server can answer 400 with them.

public enum ResponseFormat {
    /// `{"type": "text"}` -> nil; `{"type": "json_object"}` -> any JSON object; `{"type": "json_schema",
    /// "json_schema": {"name": ..., "schema": {...}, "strict": ...}}` -> that schema.
    public static func grammar(openAI format: SchemaJSON) throws(ConstraintError) -> Grammar? {
        guard case .object = format else { throw ConstraintError("response_format must be an object, got \(format.text)") }
        switch format["type"] {
        case .string("text")?: return nil
        case .string("json_object")?: return Grammar.jsonObject()
        case .string("json_schema")?:
            guard let spec = format["json_schema"], case .object = spec else {
                throw ConstraintError("response_format.json_schema must be an object with a 'schema'")
            }
            guard let schema = spec["schema"] else { throw ConstraintError("response_format.json_schema.schema is missing") }
            do { return try Grammar(jsonSchema: schema) }
            catch { throw ConstraintError("response_format.json_schema.schema: \(error.message)") }
        case let other?:
            throw ConstraintError("response_format.type \(other.text) is not one of \"text\", \"json_object\", \"json_schema\"")
        case nil:
            throw ConstraintError("response_format.type is missing")
        }
    }

    /// Ollama's `format`: "" -> nil, "json" -> any JSON object (as Ollama's JSON grammar), a schema object -> it.
    public static func grammar(ollama format: SchemaJSON) throws(ConstraintError) -> Grammar? {
        switch format {
        case .null, .string(""): return nil
        case .string("json"): return Grammar.jsonObject()
        case .object:
            do { return try Grammar(jsonSchema: format) }
            catch { throw ConstraintError("format: \(error.message)") }
        default: throw ConstraintError("format must be \"json\" or a JSON Schema object, got \(format.text)")
        }
    }

    /// A function's arguments, for `tool_choice: "required"` or a named function: its `parameters` schema.
    public static func grammar(toolParameters parameters: SchemaJSON?, function name: String) throws(ConstraintError) -> Grammar {
        guard let parameters else { return Grammar.jsonObject() }
        do { return try Grammar(jsonSchema: parameters) }
        catch { throw ConstraintError("tools[\(name.debugDescription)].parameters: \(error.message)") }
    }
}
