// A Node program whose event loop is busy when checkpointed: a timer every 10 ms, each tick hashing
// and appending to a log through the libuv thread pool (fs calls in flight), an fs.stat and a
// promise chain. Restored, it must finish with the result of an uninterrupted run.
const fs = require('node:fs');
const crypto = require('node:crypto');
const path = require('node:path');

const out = process.argv[2];
const ticks = 300;
fs.writeFileSync(path.join(out, 'info'), `pid=${process.pid}\n`);
const digest = crypto.createHash('sha256');
let tick = 0;
let appended = 0;
const log = fs.openSync(path.join(out, 'log'), 'w');

const timer = setInterval(() => {
  tick++;
  digest.update(`tick ${tick}\n`);
  fs.write(log, `tick ${tick}\n`, null, 'utf8', (err) => {
    if (err) throw err;
    appended++;
  });
  fs.stat(out, (err) => {
    if (err) throw err;
  });
  Promise.resolve(tick).then((n) => fs.writeFileSync(path.join(out, 'progress'), String(n)));
  if (tick === ticks) {
    clearInterval(timer);
    const finish = () => {
      if (appended < ticks) return setImmediate(finish);
      fs.closeSync(log);
      const size = fs.statSync(path.join(out, 'log')).size;
      fs.writeFileSync(path.join(out, 'result'), `sha=${digest.digest('hex')}\nticks=${tick}\nlog=${size}\n`);
    };
    finish();
  }
}, 10);
