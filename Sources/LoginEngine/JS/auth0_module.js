// `require('auth0')`: node-auth0's ManagementClient and AuthenticationClient (the methods rules,
// actions and custom-database scripts use) in the shapes of its 2.x/3.x versions (callbacks or
// promises, results as the API answers) and 4.x (promises of {data, headers, status, statusText}),
// calling the tenant's own APIs in process whatever domain the script names (host function
// `auth0.api`). Each call appears in the trace's `http` list as `authsim:<path>`.
(function () {
  'use strict';
  var P = rt.primordials;
  var ErrorCtor = Error, TypeErrorCtor = TypeError, encode = encodeURIComponent;

  function argumentError(message) {
    var e = new ErrorCtor(message);
    e.name = 'ArgumentError';
    return e;
  }

  function apiError(status, body, auth, major) {
    var b = body && typeof body === 'object' ? body : {};
    var message = b.message || b.error_description || b.description || (typeof body === 'string' && body) || ('Request failed with status code ' + status);
    var e = new ErrorCtor(message);
    e.name = major >= 4 ? (auth ? 'AuthApiError' : 'ManagementApiError') : (b.error || 'APIError');
    e.statusCode = status;
    e.error = b.error || b.code || null;
    e.error_description = b.error_description || b.description || message;
    e.errorCode = b.errorCode || b.code || b.error || null;
    e.body = typeof body === 'string' ? body : P.stringify(body);
    e.originalError = { status: status, response: { body: body } };
    return e;
  }

  function queryString(query) {
    var keys = query ? Object.keys(query).sort() : [];
    var pairs = [];
    for (var i = 0; i < keys.length; i++) {
      var v = query[keys[i]];
      if (v === undefined || v === null) continue;
      pairs.push(encode(keys[i]) + '=' + encode(typeof v === 'object' ? P.stringify(v) : String(v)));
    }
    return pairs.length ? '?' + pairs.join('&') : '';
  }

  function call(method, path, opts) {
    opts = opts || {};
    path += queryString(opts.query);
    var started = rt.now();
    var record = { method: method, url: 'authsim:' + path, status: null, durationMs: null, error: null };
    if (typeof rt.outbound === 'function') {
      try { rt.outbound(record); } catch (e) {}
    }
    var args = { method: method, path: path, body: opts.body === undefined ? null : opts.body, token: opts.token || null,
      managementAudience: !!opts.managementAudience };
    return P.then(rt.callAsync('auth0.api', args), function (r) {
      record.durationMs = rt.now() - started;
      record.status = r.status;
      if (r.status >= 400) throw apiError(r.status, r.body, opts.auth, opts.major);
      return r;
    }, function (e) {
      record.durationMs = rt.now() - started;
      record.error = e.message;
      throw e;
    });
  }

  function plain(v) { return v === undefined ? null : P.parse(P.stringify(v)); }
  function id(params, key) {
    var v = params && (typeof params === 'object' ? params[key || 'id'] : params);
    if (v === undefined || v === null || v === '') throw argumentError('The ' + (key || 'id') + ' passed in params cannot be null or undefined');
    return encode(String(v));
  }
  function isManagementAudience(a) { return typeof a === 'string' && /^https:\/\/[^/]+\/api\/v2\/?$/.test(a); }

  // One version's way of answering: 2.x/3.x the body (and the callback when given), 4.x {data, …}.
  function answerer(major) {
    return function (promise, cb) {
      var p = P.then(promise, function (r) {
        return major >= 4 ? { data: r.body, headers: {}, status: r.status, statusText: r.status < 300 ? 'OK' : '' } : r.body;
      });
      if (major < 4 && typeof cb === 'function') {
        P.then(p, function (v) { cb(null, v); }, function (e) { cb(e); });
        return undefined;
      }
      return p;
    };
  }

  function makeModule(major) {
    var answer = answerer(major);

    function ManagementClient(options) {
      if (!(this instanceof ManagementClient)) throw new TypeErrorCtor("Class constructor ManagementClient cannot be invoked without 'new'");
      options = options || {};
      if (typeof options.domain !== 'string' || options.domain === '') throw argumentError('Must provide a domain');
      if (!options.token && !(options.clientId && (options.clientSecret || options.clientAssertionSigningKey))) {
        throw argumentError('Must provide a token, or a clientId and clientSecret');
      }
      // A token it fetched itself is fetched again shortly before it expires (a client kept in
      // `global` outlives one).
      var state = { token: options.token || null, expiresAt: Infinity };
      var creds = { client_id: options.clientId, client_secret: options.clientSecret, scope: options.scope };
      function token() {
        var t = state.token;
        if (typeof t === 'function') return P.then(P.resolve(), function () { return t(); });
        if (t && rt.now() < state.expiresAt) return P.resolve(t);
        var body = { grant_type: 'client_credentials', client_id: creds.client_id, client_secret: creds.client_secret };
        if (creds.scope) body.scope = creds.scope;
        return P.then(call('POST', '/oauth/token', { body: body, managementAudience: true, auth: true, major: major }), function (r) {
          state.token = r.body.access_token;
          var lifetime = Number(r.body.expires_in);
          state.expiresAt = lifetime > 0 ? rt.now() + (lifetime - 10) * 1000 : Infinity;
          return state.token;
        });
      }
      function api(method, path, opts) {
        return P.then(token(), function (t) {
          var o = opts || {};
          return call(method, '/api/v2' + path, { query: o.query, body: o.body, token: t, major: major });
        });
      }
      function run(fn) {
        try { return fn(); } catch (e) { return new P.Promise(function (resolve, reject) { reject(e); }); }
      }
      // The managers (2.x–4.x share the names; their results differ by version).
      var users = {
        get: function (params, cb) { return answer(run(function () { return api('GET', '/users/' + id(params)); }), cb); },
        getAll: function (params, cb) {
          if (typeof params === 'function') { cb = params; params = {}; }
          return answer(api('GET', '/users', { query: plain(params || {}) }), cb);
        },
        create: function (data, cb) { return answer(api('POST', '/users', { body: plain(data) }), cb); },
        update: function (params, data, cb) { return answer(run(function () { return api('PATCH', '/users/' + id(params), { body: plain(data) }); }), cb); },
        delete: function (params, cb) { return answer(run(function () { return api('DELETE', '/users/' + id(params)); }), cb); },
        updateUserMetadata: function (params, md, cb) { return users.update(params, { user_metadata: md }, cb); },
        updateAppMetadata: function (params, md, cb) { return users.update(params, { app_metadata: md }, cb); },
        link: function (params, data, cb) {
          return answer(run(function () { return api('POST', '/users/' + id(typeof params === 'object' ? params : { id: params }) + '/identities', { body: plain(data) }); }), cb);
        },
        unlink: function (params, cb) {
          return answer(run(function () {
            return api('DELETE', '/users/' + id(params) + '/identities/' + id(params, 'provider') + '/' + id(params, 'user_id'));
          }), cb);
        },
        getRoles: function (params, cb) { return answer(run(function () { return api('GET', '/users/' + id(params) + '/roles'); }), cb); },
        assignRoles: function (params, data, cb) { return answer(run(function () { return api('POST', '/users/' + id(params) + '/roles', { body: plain(data) }); }), cb); },
        removeRoles: function (params, data, cb) { return answer(run(function () { return api('DELETE', '/users/' + id(params) + '/roles', { body: plain(data) }); }), cb); },
        getPermissions: function (params, cb) { return answer(run(function () { return api('GET', '/users/' + id(params) + '/permissions'); }), cb); },
        getByEmail: function (email, options, cb) {
          if (typeof options === 'function') { cb = options; options = {}; }
          var q = plain(options || {});
          q.email = typeof email === 'object' && email !== null ? email.email : email;
          return answer(api('GET', '/users-by-email', { query: q }), cb);
        }
      };
      users.deleteRoles = users.removeRoles;
      var roles = {
        get: function (params, cb) { return answer(run(function () { return api('GET', '/roles/' + id(params)); }), cb); },
        getAll: function (params, cb) {
          if (typeof params === 'function') { cb = params; params = {}; }
          return answer(api('GET', '/roles', { query: plain(params || {}) }), cb);
        }
      };
      var clients = {
        get: function (params, cb) { return answer(run(function () { return api('GET', '/clients/' + id(params, 'client_id')); }), cb); },
        getAll: function (params, cb) {
          if (typeof params === 'function') { cb = params; params = {}; }
          return answer(api('GET', '/clients', { query: plain(params || {}) }), cb);
        }
      };
      var connections = {
        getAll: function (params, cb) {
          if (typeof params === 'function') { cb = params; params = {}; }
          return answer(api('GET', '/connections', { query: plain(params || {}) }), cb);
        }
      };
      var tickets = {
        changePassword: function (data, cb) { return answer(api('POST', '/tickets/password-change', { body: plain(data) }), cb); },
        verifyEmail: function (data, cb) { return answer(api('POST', '/tickets/email-verification', { body: plain(data) }), cb); }
      };
      this.users = users;
      this.roles = roles;
      this.clients = clients;
      this.connections = connections;
      this.tickets = tickets;
      if (major >= 4) {
        this.usersByEmail = { getByEmail: function (params) { return users.getByEmail(params && params.email, params); } };
        return;
      }
      // 2.x/3.x's flat methods.
      this.getUser = users.get;
      this.getUsers = users.getAll;
      this.createUser = users.create;
      this.updateUser = users.update;
      this.deleteUser = users.delete;
      this.updateUserMetadata = users.updateUserMetadata;
      this.updateAppMetadata = users.updateAppMetadata;
      this.getUsersByEmail = users.getByEmail;
      this.linkUsers = function (userId, data, cb) { return users.link({ id: userId }, data, cb); };
      this.unlinkUsers = users.unlink;
      this.getUserRoles = users.getRoles;
      this.assignRolestoUser = users.assignRoles;
      this.removeRolesFromUser = users.removeRoles;
      this.getUserPermissions = users.getPermissions;
      this.getRoles = roles.getAll;
      this.getRole = roles.get;
      this.getClients = clients.getAll;
      this.getClient = clients.get;
      this.getConnections = connections.getAll;
      this.createPasswordChangeTicket = tickets.changePassword;
      this.createEmailVerificationTicket = tickets.verifyEmail;
      this.getAccessToken = function (cb) { return answer(P.then(token(), function (t) { return { body: t }; }), cb); };
    }

    function AuthenticationClient(options) {
      if (!(this instanceof AuthenticationClient)) throw new TypeErrorCtor("Class constructor AuthenticationClient cannot be invoked without 'new'");
      options = options || {};
      if (typeof options.domain !== 'string' || options.domain === '') throw argumentError('Must provide a domain');
      var clientId = options.clientId, clientSecret = options.clientSecret;
      function token(body) {
        var b = plain(body);
        if (b.client_id === undefined && clientId) b.client_id = clientId;
        if (b.client_secret === undefined && clientSecret) b.client_secret = clientSecret;
        var mgmt = isManagementAudience(b.audience);
        if (mgmt) delete b.audience;
        return call('POST', '/oauth/token', { body: b, managementAudience: mgmt, auth: true, major: major });
      }
      function withClient(data) {
        var b = plain(data || {});
        if (b.client_id === undefined && clientId) b.client_id = clientId;
        return b;
      }
      // A grant: the data with its grant_type (a function of the data for the password grant).
      function grant(type) {
        return function (data, cb) {
          var d = plain(data || {});
          d.grant_type = typeof type === 'function' ? type(d) : type;
          return answer(token(d), cb);
        };
      }
      var oauth = {
        clientCredentialsGrant: grant('client_credentials'),
        passwordGrant: grant(function (d) { return d.realm ? 'http://auth0.com/oauth/grant-type/password-realm' : 'password'; }),
        refreshTokenGrant: grant('refresh_token'),
        authorizationCodeGrant: grant('authorization_code')
      };
      oauth.refreshToken = oauth.refreshTokenGrant;
      var database = {
        signUp: function (data, cb) { return answer(call('POST', '/dbconnections/signup', { body: withClient(data), auth: true, major: major }), cb); },
        changePassword: function (data, cb) { return answer(call('POST', '/dbconnections/change_password', { body: withClient(data), auth: true, major: major }), cb); }
      };
      function start(connection) {
        return function (data, cb) {
          var d = withClient(data);
          d.connection = d.connection || connection;
          return answer(call('POST', '/passwordless/start', { body: d, auth: true, major: major }), cb);
        };
      }
      var passwordless = { sendEmail: start('email'), sendSMS: start('sms') };
      function getProfile(accessToken, cb) { return answer(call('GET', '/userinfo', { token: String(accessToken), auth: true, major: major }), cb); }
      this.oauth = oauth;
      this.database = database;
      this.passwordless = passwordless;
      if (major >= 4) return;
      this.clientCredentialsGrant = oauth.clientCredentialsGrant;
      this.passwordGrant = oauth.passwordGrant;
      this.refreshToken = oauth.refreshTokenGrant;
      this.getProfile = getProfile;
      this.users = { getInfo: getProfile };
      this.requestChangePasswordEmail = database.changePassword;
    }

    // 4.x: user info is its own client.
    function UserInfoClient(options) {
      if (!(this instanceof UserInfoClient)) throw new TypeErrorCtor("Class constructor UserInfoClient cannot be invoked without 'new'");
      if (!options || typeof options.domain !== 'string' || options.domain === '') throw argumentError('Must provide a domain');
      this.getUserInfo = function (accessToken) { return answer(call('GET', '/userinfo', { token: String(accessToken), auth: true, major: major })); };
    }

    var exports = { ManagementClient: ManagementClient, AuthenticationClient: AuthenticationClient };
    if (major >= 4) exports.UserInfoClient = UserInfoClient;
    return exports;
  }

  [2, 3, 4].forEach(function (major) {
    rt.define('auth0@' + major, function (module) { module.exports = makeModule(major); });
  });
})();
