// `stream`: Node's own stream classes as Debian's `readable-stream` package carries them
// (found in the system package folders only), under the legacy `Stream` base class whose
// `pipe` older libraries (mysql's protocol parser) use.
rt.define('stream', function (module, exports, require) {
  'use strict';
  var EE = require('events');
  var util = require('util');
  function Stream(opts) { EE.call(this, opts); }
  util.inherits(Stream, EE);
  // The pre-streams2 pipe: data events written to the destination, paused when it is full.
  Stream.prototype.pipe = function (dest, options) {
    var source = this;
    function ondata(chunk) { if (dest.writable && dest.write(chunk) === false && source.pause) source.pause(); }
    function ondrain() { if (source.readable && source.resume) source.resume(); }
    source.on('data', ondata);
    dest.on('drain', ondrain);
    var didOnEnd = false;
    function onend() { if (didOnEnd) return; didOnEnd = true; dest.end(); }
    function onclose() { if (didOnEnd) return; didOnEnd = true; if (typeof dest.destroy === 'function') dest.destroy(); }
    if (!dest._isStdio && (!options || options.end !== false)) { source.on('end', onend); source.on('close', onclose); }
    function onerror(er) { cleanup(); if (EE.listenerCount(this, 'error') === 0) this.emit('error', er); }
    source.on('error', onerror);
    dest.on('error', onerror);
    function cleanup() {
      source.removeListener('data', ondata); dest.removeListener('drain', ondrain);
      source.removeListener('end', onend); source.removeListener('close', onclose);
      source.removeListener('error', onerror); dest.removeListener('error', onerror);
      source.removeListener('end', cleanup); source.removeListener('close', cleanup); dest.removeListener('close', cleanup);
    }
    source.on('end', cleanup); source.on('close', cleanup); dest.on('close', cleanup);
    dest.emit('pipe', source);
    return dest;
  };
  module.exports = Stream;
  var r = rt.call('node.resolve', { request: 'readable-stream', system: true });
  if (!r) {
    var e = new Error("Cannot load 'stream': Debian's readable-stream package is missing (make installs it: node-readable-stream)");
    e.code = 'MODULE_NOT_FOUND';
    throw e;
  }
  var rs = rt.loadSystemFile(r);
  // readable-stream's main file requires `stream` first thing: when a package loads
  // readable-stream before anything loaded `stream` (through2, bl, or readable-stream itself),
  // this load runs inside that one and the main file's exports are still half-built. The classes
  // are then taken from readable-stream's own files, the ones its main file exports (loading
  // them requires `stream` again, which answers the legacy class above).
  if (typeof rs.Readable !== 'function') {
    var part = function (file) {
      var p = rt.call('node.resolve', { request: 'readable-stream/' + file, system: true });
      return p ? rt.loadSystemFile(p) : undefined;
    };
    rs = {
      Readable: part('lib/_stream_readable.js'), Writable: part('lib/_stream_writable.js'), Duplex: part('lib/_stream_duplex.js'),
      Transform: part('lib/_stream_transform.js'), PassThrough: part('lib/_stream_passthrough.js'),
      finished: part('lib/internal/streams/end-of-stream.js'), pipeline: part('lib/internal/streams/pipeline.js')
    };
    if (typeof rs.Readable !== 'function') {
      var partial = new Error("Cannot load 'stream': readable-stream's files were not found beside its main file (" + r.display + ')');
      partial.code = 'MODULE_NOT_FOUND';
      throw partial;
    }
  }
  Stream.Stream = Stream;
  Stream.Readable = rs.Readable;
  Stream.Writable = rs.Writable;
  Stream.Duplex = rs.Duplex;
  Stream.Transform = rs.Transform;
  Stream.PassThrough = rs.PassThrough;
  Stream.finished = rs.finished;
  Stream.pipeline = rs.pipeline;
  Stream.addAbortSignal = function (signal, s) { if (signal) signal.addEventListener('abort', function () { s.destroy(new Error('The operation was aborted')); }); return s; };
  Stream.isReadable = function (s) { return !!(s && s.readable && !s.destroyed); };
  Stream.promises = {
    pipeline: function () { var args = Array.prototype.slice.call(arguments); return new Promise(function (ok, fail) { args.push(function (e, v) { if (e) fail(e); else ok(v); }); rs.pipeline.apply(undefined, args); }); },
    finished: function (s, opts) { return new Promise(function (ok, fail) { rs.finished(s, opts || {}, function (e) { if (e) fail(e); else ok(); }); }); }
  };
});
rt.define('stream/promises', function (module, exports, require) { module.exports = require('stream').promises; });
