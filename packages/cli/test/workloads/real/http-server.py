# Python's own HTTP server, serving the run directory on a port of the kernel's choice on
# 127.0.0.1. Writes "pid=P" and "port=N" to DIR/info; checkpointed between two requests, the
# restored server must answer on the same port.
import functools, http.server, os, sys

out = sys.argv[1]
handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=out)
server = http.server.HTTPServer(('127.0.0.1', 0), handler)
with open(os.path.join(out, 'info.tmp'), 'w') as f:
    f.write('pid=%d\nport=%d\n' % (os.getpid(), server.server_address[1]))
os.rename(os.path.join(out, 'info.tmp'), os.path.join(out, 'info'))
sys.stderr = open(os.devnull, 'w')
server.serve_forever()
