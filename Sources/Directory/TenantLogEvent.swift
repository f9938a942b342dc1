import JSONCore

/// A tenant log event (Auth0's `/api/v2/logs` shape).
public struct TenantLogEvent: Sendable, Equatable {
    public var logId: String
    public var date: Double
    /// `s`, `f`, `fp`, `fu`, `fs`, `ss`, `sapi`, `fapi`, `seccft`, `feccft`, `depnote`.
    public var type: String
    public var description: String
    public var clientId: String?
    public var clientName: String?
    public var connection: String?
    public var userId: String?
    public var userName: String?
    public var ip: String?
    public var userAgent: String?
    public var details: JSONValue?

    public init(
        type: String, description: String, date: Double = Timestamp.now(), clientId: String? = nil, clientName: String? = nil,
        connection: String? = nil, userId: String? = nil, userName: String? = nil, ip: String? = nil, userAgent: String? = nil,
        details: JSONValue? = nil
    ) {
        self.logId = randomHexID()
        self.date = date
        self.type = type
        self.description = description
        self.clientId = clientId
        self.clientName = clientName
        self.connection = connection
        self.userId = userId
        self.userName = userName
        self.ip = ip
        self.userAgent = userAgent
        self.details = details
    }

    public var json: JSONValue {
        var o: [String: JSONValue] = [
            "log_id": .string(logId), "_id": .string(logId), "date": .string(Timestamp.format(date)), "type": .string(type),
            "description": .string(description),
        ]
        func put(_ k: String, _ v: String?) { if let v { o[k] = .string(v) } }
        put("client_id", clientId)
        put("client_name", clientName)
        put("connection", connection)
        put("user_id", userId)
        put("user_name", userName)
        put("ip", ip)
        put("user_agent", userAgent)
        if let details { o["details"] = details }
        return .object(o)
    }

    public init(json: JSONValue) {
        self.logId = json["log_id"]?.stringValue ?? randomHexID()
        self.date = json["date"]?.stringValue.flatMap(Timestamp.parse) ?? 0
        self.type = json["type"]?.stringValue ?? ""
        self.description = json["description"]?.stringValue ?? ""
        self.clientId = json["client_id"]?.stringValue
        self.clientName = json["client_name"]?.stringValue
        self.connection = json["connection"]?.stringValue
        self.userId = json["user_id"]?.stringValue
        self.userName = json["user_name"]?.stringValue
        self.ip = json["ip"]?.stringValue
        self.userAgent = json["user_agent"]?.stringValue
        self.details = json["details"]
    }
}
