// Node's wording for the errors JavaScriptCore raises with its own: a test written against
// Auth0 (Node 18) that checks a flow's error text passes here too. `rt.nodeMessage(error)`
// gives the message Node would have given (the error's own message when it is not one of these):
//   undefined is not an object (evaluating 'a.b.c')  → Cannot read properties of undefined (reading 'c')
//   null is not an object (evaluating 'a.b = 1')      → Cannot set properties of null (setting 'b')
//   a.f is not a function. (In 'a.f()', 'a.f' is undefined) → a.f is not a function
//   X is not a constructor (evaluating 'new X()')     → X is not a constructor
//   Can't find variable: x                            → x is not defined
//   JSON Parse error: Unexpected EOF                  → Unexpected end of JSON input
//   Maximum call stack size exceeded.                 → Maximum call stack size exceeded
  var P = rt.primordials;
  var exec = RegExp.prototype.exec, StringCtor = String;
  var notAnObject = /^(undefined|null) is not an object \(evaluating '([\s\S]*)'\)$/;
  var notCallable = /^([\s\S]+?) is not a (function|constructor)(?:\. \(In '[\s\S]*', '[\s\S]*' is [\s\S]*\)| \(evaluating '[\s\S]*'\))$/;
  var noVariable = /^Can't find variable: ([\s\S]+)$/;
  var assignment = /^([\s\S]*?[^=!<>])=(?!=)[\s\S]*$/;

  // The property an expression ends with: `a.b.c` → c, `a['x']` → x, `a[0]` → 0; nil for a call.
  function lastProperty(expression) {
    var e = expression.trim();
    if (e.charAt(e.length - 1) === ']') {
      var depth = 0;
      for (var i = e.length - 1; i >= 0; i--) {
        var ch = e.charAt(i);
        if (ch === ']') depth++;
        else if (ch === '[' && --depth === 0) {
          var inner = e.slice(i + 1, e.length - 1).trim();
          var q = inner.charAt(0);
          if ((q === "'" || q === '"' || q === '`') && inner.charAt(inner.length - 1) === q) return inner.slice(1, -1);
          return inner;
        }
      }
      return null;
    }
    var m = P.apply(exec, /(?:\?\.|\.)\s*([A-Za-z_$][\w$]*)$/, [e]);
    return m ? m[1] : null;
  }

  rt.nodeMessage = function (error) {
    var message;
    try { message = error && error.message; } catch (e) { return ''; }
    if (typeof message !== 'string') return message === undefined ? '' : StringCtor(message);
    // The engine's messages are short; a script's own long one is left as it is (no regex over it).
    if (message.length > 4096) return message;
    var m = P.apply(exec, notAnObject, [message]);
    if (m) {
      var set = P.apply(exec, assignment, [m[2]]);
      var property = lastProperty(set ? set[1] : m[2]);
      if (property !== null) {
        return set ? 'Cannot set properties of ' + m[1] + " (setting '" + property + "')" : 'Cannot read properties of ' + m[1] + " (reading '" + property + "')";
      }
      return message;
    }
    m = P.apply(exec, notCallable, [message]);
    if (m) return m[1] + ' is not a ' + m[2];
    m = P.apply(exec, noVariable, [message]);
    if (m) return m[1] + ' is not defined';
    if (message === 'JSON Parse error: Unexpected EOF') return 'Unexpected end of JSON input';
    if (message === 'Maximum call stack size exceeded.') return 'Maximum call stack size exceeded';
    return message;
  };

  // An error the engine raised, reworded in place (its `message`) as Node words it.
  rt.nodeError = function (error) {
    if (!error || typeof error !== 'object') return error;
    var node = rt.nodeMessage(error);
    try { if (node !== error.message) error.message = node; } catch (e) {}
    return error;
  };
