// The file format of the training commands' configs (SFTConfig, GRPOConfig): JSON, or a YAML subset (top-level
// `key: value` lines and one nested mapping such as `shape:`, scalars and `[a, b]` lists), snake_case keys. A key the
// config does not know, a missing one, or a value of the wrong type or range is an error naming the file and the key.
import Foundation

enum ConfigFile {
    /// The config at `path` (`.yaml`/`.yml` read as the YAML subset, anything else as JSON); `keys` are the config's
    /// camelCase coding keys, against which every top-level key is checked.
    static func decode<T: Decodable>(_ type: T.Type, path: String, keys: [String]) throws -> T {
        guard let data = FileManager.default.contents(atPath: path) else { throw TrainError("\(path): cannot read the config") }
        let json: Data
        if path.hasSuffix(".yaml") || path.hasSuffix(".yml") {
            json = try JSONSerialization.data(withJSONObject: parseYAML(String(decoding: data, as: UTF8.self), source: path))
        } else {
            json = data
        }
        guard let top = (try? JSONSerialization.jsonObject(with: json)) as? [String: Any] else {
            throw TrainError("\(path): the config is not a JSON object")
        }
        // A misspelt key would silently keep a default: name it instead.
        let known = Set(keys)
        for key in top.keys.sorted() where !known.contains(camelCase(key)) {
            throw TrainError("\(path): unknown key '\(key)'")
        }
        /// The dotted snake_case key at `codingPath`, with the file's value when it is a top-level key.
        func named(_ codingPath: [any CodingKey]) -> String {
            let key = codingPath.map { snakeCase($0.stringValue) }.joined(separator: ".")
            let value = codingPath.count == 1 ? top[key].map { " (\($0))" } ?? "" : ""
            return "'\(key)'\(value)"
        }
        let dec = JSONDecoder()
        dec.keyDecodingStrategy = .convertFromSnakeCase
        do {
            return try dec.decode(T.self, from: json)
        } catch let DecodingError.keyNotFound(key, ctx) {
            throw TrainError("\(path): missing '\((ctx.codingPath + [key]).map { snakeCase($0.stringValue) }.joined(separator: "."))'")
        } catch let DecodingError.typeMismatch(_, ctx) {
            throw TrainError("\(path): \(named(ctx.codingPath)) has the wrong type")
        } catch let DecodingError.dataCorrupted(ctx) {
            throw TrainError("\(path): \(named(ctx.codingPath)) has a bad value")
        } catch let e as TrainError {
            throw TrainError("\(path): \(e.description)")
        } catch {
            throw TrainError("\(path): \(error)")
        }
    }

    /// `key: value` lines, `#` comments, one level of two-space-indented nesting; scalars typed like YAML 1.2 core.
    static func parseYAML(_ text: String, source: String) throws -> [String: Any] {
        var root: [String: Any] = [:]
        var nestedKey: String? = nil
        var nested: [String: Any] = [:]
        func flush() {
            if let k = nestedKey { root[k] = nested }
            nestedKey = nil
            nested = [:]
        }
        for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var line = String(raw)
            if let hash = line.range(of: " #") ?? (line.hasPrefix("#") ? line.range(of: "#") : nil) { line = String(line[..<hash.lowerBound]) }
            if line.trimmingCharacters(in: .whitespaces).isEmpty { continue }
            let indented = line.hasPrefix(" ")
            guard let colon = line.firstIndex(of: ":") else { throw TrainError("\(source):\(n + 1): expected 'key: value'") }
            let key = line[..<colon].trimmingCharacters(in: .whitespaces)
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            if indented {
                guard nestedKey != nil else { throw TrainError("\(source):\(n + 1): indented key '\(key)' outside a mapping") }
                nested[key] = scalar(value)
            } else {
                flush()
                if value.isEmpty { nestedKey = key } else { root[key] = scalar(value) }
            }
        }
        flush()
        return root
    }

    static func camelCase(_ key: String) -> String {
        let parts = key.split(separator: "_")
        guard let first = parts.first else { return key }
        return String(first) + parts.dropFirst().map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
    }

    static func snakeCase(_ key: String) -> String {
        key.reduce(into: "") { out, ch in
            if ch.isUppercase { out += "_" + ch.lowercased() } else { out.append(ch) }
        }
    }

    static func scalar(_ v: String) -> Any {
        // a flow sequence of scalars: [1, 2, 3]
        if v.hasPrefix("["), v.hasSuffix("]") {
            let inner = v.dropFirst().dropLast().trimmingCharacters(in: .whitespaces)
            return inner.isEmpty ? [Any]() : inner.split(separator: ",").map { scalar($0.trimmingCharacters(in: .whitespaces)) }
        }
        if v.count >= 2, (v.hasPrefix("\"") && v.hasSuffix("\"")) || (v.hasPrefix("'") && v.hasSuffix("'")) {
            return String(v.dropFirst().dropLast())
        }
        switch v {
        case "true", "True": return true
        case "false", "False": return false
        case "null", "~", "": return NSNull()
        default: break
        }
        if let i = Int(v) { return i }
        if let d = Double(v) { return d }
        return v
    }
}
