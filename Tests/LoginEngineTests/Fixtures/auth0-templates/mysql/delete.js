// Auth0 dashboard template (MySQL, delete), from auth0/db-connections-templates src/scripts/mysql/delete.js at commit 619c4f0ad2ccbf8bf11337f6e2a5e71069dbbbbf; unchanged.
function remove(id, callback) {
  const mysql = require('mysql');

  const connection = mysql.createConnection({
    host: 'localhost',
    user: 'me',
    password: 'secret',
    database: 'mydb'
  });

  connection.connect();

  const query = 'DELETE FROM users WHERE id = ?';

  connection.query(query, [ id ], function(err) {
    if (err) return callback(err);
    callback(null);
  });
}
