/** Delete: removes the record (the id comes without the auth0| prefix). */
function remove(id, callback) {
  const db = require('authsim:legacy-db');
  db.remove(id).then(function () { callback(null); }, callback);
}
