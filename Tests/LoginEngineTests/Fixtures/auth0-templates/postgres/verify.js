// Auth0 dashboard template (PostgreSQL, verify), from auth0/docs articles/connections/database/custom-db/templates/verify.md at commit 024cae623b35108e3b152904c79ccfb871fc3dff; unchanged.
function verify (email, callback) {
  //this example uses the "pg" library
  //more info here: https://github.com/brianc/node-postgres

  var pg = require('pg');

  var conString = "postgres://user:pass@localhost/mydb";
  pg.connect(conString, function (err, client, done) {
    if (err) {
      console.log('could not connect to postgres db', err);
      return callback(err);
    }

    var query = 'UPDATE users SET email_Verified = true ' +
                'WHERE email_Verified = false AND email = $1';

    client.query(query, [email], function (err, result) {
      // NOTE: always call `done()` here to close
      // the connection to the database
      done();

      if (err) {
        return callback(err);
      }

      if (result.rowCount === 0) {
        return callback();
      }

      callback(null, result.rowCount > 0);
    });
  });

}
