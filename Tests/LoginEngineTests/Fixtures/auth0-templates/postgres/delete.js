// Auth0 dashboard template (PostgreSQL, delete), from auth0/docs articles/connections/database/custom-db/templates/delete.md at commit 6a4540d247f3ae70adc20c122bb64245733b3ce2; unchanged.
function remove(id, callback) {
  //this example uses the "pg" library
  //more info here: https://github.com/brianc/node-postgres

  const postgres = require('pg');

  const conString = 'postgres://user:pass@localhost/mydb';
  postgres.connect(conString, function (err, client, done) {
    if (err) return callback(err);

    const query = 'DELETE FROM users WHERE id = $1';
    client.query(query, [id], function (err) {
      // NOTE: always call `done()` here to close
      // the connection to the database
      done();

      return callback(err);
    });
  });
}
