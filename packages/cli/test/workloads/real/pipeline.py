# A parent streams numbers from an input file through a pipe to a child it forked; the child sums
# them. The parent hashes what it read and logs every step to a file it keeps open. Checkpointed
# in the middle, the pair must finish with the result of an uninterrupted run.
import hashlib, os, sys, time

out = sys.argv[1]
source = open(os.path.join(out, 'input'), 'rb')
read_end, write_end = os.pipe()
child = os.fork()
if child == 0:
    os.close(write_end)
    total = 0
    with os.fdopen(read_end) as numbers:
        for line in numbers:
            total += int(line)
    with open(os.path.join(out, 'child-result'), 'w') as f:
        f.write('sum=%d\n' % total)
    os._exit(0)

os.close(read_end)
to_child = os.fdopen(write_end, 'w', buffering=1)
log = open(os.path.join(out, 'log'), 'w', buffering=1)
digest = hashlib.sha256()
with open(os.path.join(out, 'info'), 'w') as f:
    f.write('pid=%d\nchild=%d\n' % (os.getpid(), child))
step = 0
while True:
    chunk = source.read(1000)
    if not chunk:
        break
    step += 1
    digest.update(chunk)
    to_child.write('%d\n' % sum(chunk))
    log.write('step %d at %d\n' % (step, source.tell()))
    with open(os.path.join(out, 'progress'), 'w') as f:
        f.write(str(step))
    time.sleep(0.02)
to_child.close()
os.waitpid(child, 0)
log.close()
with open(os.path.join(out, 'result'), 'w') as f:
    f.write('sha=%s\nsteps=%d\nlog=%d\n' % (digest.hexdigest(), step, os.path.getsize(os.path.join(out, 'log'))))
