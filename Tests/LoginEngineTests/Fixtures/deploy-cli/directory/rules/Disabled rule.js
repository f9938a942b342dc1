function (user, context, callback) { callback(new UnauthorizedError("disabled rule ran")); }
