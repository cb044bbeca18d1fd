#!/usr/bin/env python3
# tests/attack/mcp_chaos.py PORT SEED: 24 threads x 40 random requests
# against `wasmbox mcp --http 127.0.0.1:PORT` (round 3): initializes,
# DELETEs, tool calls, forks, batches, truncated JSON, cancellations on
# random sessions. Prints the count of each HTTP status (or exception).
# The server must keep serving and, on the sanitizer build, report
# nothing; run it inside `unshare --net` with lo up.
import http.client, json, random, threading, time, sys
port=int(sys.argv[1]); random.seed(int(sys.argv[2]))
sids=[]; lock=threading.Lock(); stats={}
def req(method, body=None, sid=None, hdr=None):
    c=http.client.HTTPConnection("127.0.0.1",port,timeout=60)
    h={"Content-Type":"application/json","Accept":"application/json, text/event-stream"}
    if sid: h["Mcp-Session-Id"]=sid
    if hdr: h.update(hdr)
    c.request(method,"/mcp",body=body,headers=h)
    r=c.getresponse(); b=r.read(); s=r.getheader("Mcp-Session-Id"); c.close()
    return r.status,s,b
init=json.dumps({"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18"}})
def tool(i,n,a): return json.dumps({"jsonrpc":"2.0","id":i,"method":"tools/call","params":{"name":n,"arguments":a}})
bodies=[lambda i: tool(i,"run_shell",{"code":"echo %d; sleep 0.%d"%(i,random.randint(0,5))}),
        lambda i: tool(i,"run_python",{"code":"x=%d\nprint(x)"%i}),
        lambda i: tool(i,"write_file",{"path":"d%d/f"%(i%5),"content":"y"*random.randint(0,100000)}),
        lambda i: tool(i,"read_file",{"path":"d%d/f"%(i%5)}),
        lambda i: tool(i,"list_files",{}),
        lambda i: tool(i,"fork_session",{}),
        lambda i: tool(i,"reset_session",{}),
        lambda i: "["+",".join([tool(i,"list_files",{}), json.dumps({"jsonrpc":"2.0","id":i+1,"method":"ping"})])+"]",
        lambda i: "{\"jsonrpc\":\"2.0\",\"id\":%d,"%i,
        lambda i: json.dumps({"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":i}}),
        ]
def worker(k):
    for i in range(40):
        try:
            r=random.random()
            if r<0.1 or not sids:
                st,s,b=req("POST",init)
                if s:
                    with lock: sids.append(s)
            elif r<0.15:
                sid=random.choice(sids); st,_,_=req("DELETE",sid=sid)
            else:
                sid=random.choice(sids); st,_,b=req("POST",random.choice(bodies)(k*1000+i),sid=sid)
            with lock: stats[st]=stats.get(st,0)+1
        except Exception as e:
            with lock: stats[repr(type(e))]=stats.get(repr(type(e)),0)+1
ts=[threading.Thread(target=worker,args=(k,)) for k in range(24)]
t0=time.time()
[t.start() for t in ts]; [t.join() for t in ts]
print(stats, "%.1fs"%(time.time()-t0))
