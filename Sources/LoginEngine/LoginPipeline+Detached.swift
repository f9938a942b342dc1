import Directory
import JSONCore

extension LoginPipeline {
    /// `request` made side-effect free and repeatable: a stored user becomes an in-memory copy
    /// (with its roles), and the scripts' clock is fixed. Comparisons and tests run on it.
    package func detached(_ request: SimulationRequest) async throws(PipelineError) -> SimulationRequest {
        var r = request
        if case .stored(let ref) = request.user {
            let user = try await findUser(ref, connection: request.connection)
            r.user = .inline(user.json)
            do { r.roles = try await store.roles(userId: user.userId) } catch { throw .store(String(describing: error)) }
        }
        if r.now == nil { r.now = (Timestamp.now() * 1000).rounded() }
        return r
    }
}
