/// `require('auth0')` for scripts: node-auth0's clients (2.x–4.x shapes) over the tenant's own
/// APIs (`TenantAPI`, host function `auth0.api`).
enum Auth0Module {
    static let source = String(decoding: PackageResources.auth0_module_js, as: UTF8.self)
}
