import ArgumentParser
import AuthorTools
import Foundation
import JSONCore
import LoginEngine
import Server
import PostgresStore
import ScriptRuntime

struct Simulate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the login pipeline for a user without credentials (like the dashboard's \"try this rule\").",
        discussion: """
            --request takes a simulation request file:
              {"user": "<email or user_id>" | {inline profile, not stored},
               "client", "connection", "protocol", "audience", "scope", "nonce", "prompt",
               "organization": "<org_… id or name>", "mfa": "pass" | "fail" | "not_enrolled",
               "request": {"ip", "userAgent", "hostname", "query", "body", "geoip": {…}},
               "context": {riskAssessment, authentication, … extra context fields}}
            Flags given on the command line override the file.
            """)

    @OptionGroup var tenantOptions: TenantOptions

    @Option(name: .long, help: "The user: an email or a user_id.")
    var user: String?

    @Option(name: .long, help: "A simulation request JSON file.")
    var request: String?

    @OptionGroup var flow: FlowOptions

    @Option(name: .customLong("break"), help: ArgumentHelp(
        "Stop the login at FILE:LINE of a tenant script (e.g. rules/add-roles.js:12), print the paused frame's scope as JSON and continue (repeatable).",
        valueName: "FILE:LINE"))
    var breakpoints: [String] = []

    func validate() throws {
        if user == nil && request == nil { throw ValidationError("give --user EMAIL|USER_ID or --request FILE") }
        for b in breakpoints where Breakpoint(b) == nil { throw ValidationError("--break takes FILE:LINE (a tenant script and a line from 1), not \(b)") }
    }

    func run() async throws {
        var req = try loadSimulationRequest(path: request, user: user)
        flow.apply(to: &req)
        if !breakpoints.isEmpty { return try await runWithBreakpoints(req) }
        let pipeline = try await openPipeline(tenantOptions)
        let result: SimulationResult
        do { result = try await pipeline.simulate(req) } catch { throw CommandFailure(error) }
        flow.print(result)
    }

    /// Debug mode for one login: the inspector connects to a loopback relay of this process, the
    /// scripts run on one inspectable worker, and each pause is printed before the result.
    func runWithBreakpoints(_ req: SimulationRequest) async throws {
        if let why = InspectorBridge.unavailable { throw CommandFailure(why.description) }
        let relay = try InspectorRelay()
        defer { relay.shutdown() }
        do { try InspectorBridge.start(address: relay.address) } catch { throw CommandFailure(error.description) }
        let pipeline = try await openPipeline(tenantOptions, workers: 1, inspectable: true)
        let outcome: (result: SimulationResult, pauses: [JSONValue])
        do {
            outcome = try await BreakpointProbe.run(req, pipeline: pipeline, relay: relay, breakpoints: breakpoints.compactMap(Breakpoint.init))
        } catch { throw CommandFailure(error) }
        if flow.json {
            var json = outcome.result.json
            if case .object(var o) = json {
                o["breaks"] = .array(outcome.pauses)
                json = .object(o)
            }
            printJSON(json.serialized(pretty: true))
        } else {
            for pause in outcome.pauses { printJSON(JSONValue.object(["break": pause]).serialized(pretty: true)) }
            if outcome.pauses.isEmpty { printJSON("(no breakpoint was reached: \(breakpoints.joined(separator: ", ")))") }
            flow.print(outcome.result)
        }
    }
}

struct Login: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Log a user in with a real password check, then run the same pipeline as simulate.")

    @OptionGroup var tenantOptions: TenantOptions

    @Option(name: .long, help: "Email or username.")
    var username: String

    @Option(name: .long, help: "The password (checked against the stored bcrypt hash).")
    var password: String

    @OptionGroup var flow: FlowOptions

    func run() async throws {
        var req = SimulationRequest(user: .stored(username))
        flow.apply(to: &req)
        let pipeline = try await openPipeline(tenantOptions)
        let result: SimulationResult
        do { result = try await pipeline.login(username: username, password: password, request: req) } catch { throw CommandFailure(error) }
        flow.print(result)
    }
}

/// What `simulate` and `login` share: the flow's client, connection, protocol and IP, and the output form.
struct FlowOptions: ParsableArguments {
    @Option(name: .long, help: "The application, by name or client_id (default: the first client).")
    var client: String?

    @Option(name: .long, help: "The connection name (default: the user's, or the tenant's default directory).")
    var connection: String?

    @Option(name: .customLong("protocol"), help: "context.protocol (default: oidc-basic-profile; oauth2-password for login).")
    var protocolName: String?

    @Option(name: .long, help: "The client IP of the simulated request (geoip comes from geoip.json).")
    var ip: String?

    @Option(name: .long, help: "Log in within this organization (an org_… id, or a name): the membership is checked first.")
    var organization: String?

    @Flag(name: .long, help: "Print one JSON object instead of the report.")
    var json = false

    /// Command-line values override the request's.
    func apply(to request: inout SimulationRequest) {
        if let client { request.client = client }
        if let connection { request.connection = connection }
        if let protocolName { request.protocolName = protocolName }
        if let ip { request.ip = ip }
        if let organization { request.organization = organization }
    }

    func print(_ result: SimulationResult) {
        printJSON(json ? result.json.serialized(pretty: true) : result.report())
    }
}

/// The simulation request from `--request FILE` and/or `--user`.
func loadSimulationRequest(path: String?, user: String?) throws -> SimulationRequest {
    var req: SimulationRequest
    if let path {
        guard let data = FileManager.default.contents(atPath: path) else { throw CommandFailure("cannot read \(path)") }
        do {
            req = try SimulationRequest(json: try JSONValue.parse(String(decoding: data, as: UTF8.self)))
        } catch let e as JSONParseError {
            throw CommandFailure("\(path): invalid JSON: \(e)")
        } catch {
            throw CommandFailure("\(path): \(error)")
        }
    } else {
        req = SimulationRequest(user: .stored(user ?? ""))
    }
    if let user { req.user = .stored(user) }
    return req
}

/// Loads the tenant, opens (and seeds) the store, loads the keys.
func openPipeline(_ options: TenantOptions, workers: Int? = nil, inspectable: Bool = false) async throws -> LoginPipeline {
    var configuration = RuntimeConfiguration(workers: workers ?? ProcessInfo.processInfo.activeProcessorCount)
    configuration.inspectable = inspectable
    let runtime = ScriptRuntime(configuration: configuration)
    do {
        let pipeline = try await LoginPipeline.open(
            tenantDirectory: options.tenant, store: try await StoreLocation.open(options.storePath), runtime: runtime, modulePaths: options.modules,
            tenantChanges: options.changesTarget)
        // The scripts' require('auth0') reaches the daemon's routes, in process, as under `serve`.
        AuthsimServer(pipeline: pipeline, configuration: ServerConfiguration()).attachInProcessAPI()
        return pipeline
    } catch {
        throw CommandFailure(error)
    }
}
