#!/usr/bin/env python3
"""A loopback HTTP server speaking the Hugging Face Hub's download protocol for a folder of repositories.

Follows what huggingface_hub 2.4 (hf_api.py, file_download.py, _snapshot_download.py) asks of the Hub:
  GET  /api/models/ORG/REPO[/revision/REV][?blobs=true]   model info: sha (the commit), siblings (rfilename, size,
                                                          blobId, lfs {sha256, size, pointerSize})
  GET  /api/models/ORG/REPO/tree/REV[/PATH]               the file list (type, oid, size, path, lfs {oid, size, pointerSize})
  HEAD|GET /ORG/REPO/resolve/REV/PATH                     small files: 200, ETag = git blob sha1; LFS files (.safetensors,
                                                          .gguf, .bin, or > 1 MB): 302 to a blob URL on another host
                                                          name (localhost <-> 127.0.0.1, as a CDN) with
                                                          X-Linked-Etag = sha256 and X-Linked-Size; X-Repo-Commit always
  GET  /_blobs/SHA256                                     the LFS content, with Range (206, Content-Range)
Errors as the Hub gives them: 404 with X-Error-Code RepoNotFound / RevisionNotFound / EntryNotFound; 401 with
X-Error-Code GatedRepo for a gated repository requested without the token.
Test controls: POST /_control with JSON {"cut_after": N, "stall_after": N, "corrupt": bool, "gated": [REPO...],
"token": T} (cut_after: the next blob transfer closes the connection after N bytes, once; stall_after: it sends N
bytes and then hangs; corrupt: every blob transfer flips one byte); GET /_log gives the requests seen (method, path,
range) and POST /_log/clear empties it.
The folder: DIR/ORG/REPO/... files (symlinks followed). Revisions: main and the commit, a sha1 of the file list.
Usage: fake_hub.py DIR [--port 0] [--port-file F]; prints "listening on PORT".
"""
import argparse
import hashlib
import json
import os
import socket
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LFS_SUFFIXES = (".safetensors", ".gguf", ".bin", ".pt", ".pth", ".h5", ".msgpack", ".onnx")


class Repo:
    def __init__(self, root, name):
        self.name = name
        self.files = {}
        base = os.path.join(root, name)
        for dirpath, _, names in os.walk(base, followlinks=True):
            for n in names:
                full = os.path.join(dirpath, n)
                rel = os.path.relpath(full, base).replace(os.sep, "/")
                size = os.path.getsize(full)
                lfs = rel.endswith(LFS_SUFFIXES) or size > 1_000_000
                sha256 = hashlib.sha256()
                with open(full, "rb") as f:
                    for chunk in iter(lambda: f.read(1 << 20), b""):
                        sha256.update(chunk)
                entry = {"path": full, "size": size, "sha256": sha256.hexdigest(), "lfs": lfs}
                with open(full, "rb") as f:
                    entry["git_oid"] = hashlib.sha1(b"blob %d\0" % size + (f.read() if not lfs else b"")).hexdigest()
                if lfs:  # the oid of an LFS file is that of its pointer file
                    pointer = f"version https://git-lfs.github.com/spec/v1\noid sha256:{entry['sha256']}\nsize {size}\n".encode()
                    entry["pointer_size"] = len(pointer)
                    entry["git_oid"] = hashlib.sha1(b"blob %d\0" % len(pointer) + pointer).hexdigest()
                self.files[rel] = entry
        listing = "".join(f"{p} {e['sha256']}\n" for p, e in sorted(self.files.items()))
        self.commit = hashlib.sha1(listing.encode()).hexdigest()


class State:
    def __init__(self, root):
        self.root = root
        self.lock = threading.Lock()
        self.repos = {}
        self.blobs = {}
        self.cut_after = None
        self.stall_after = None
        self.corrupt = False
        self.gated = set()
        self.token = None
        self.log = []
        for org in sorted(os.listdir(root)):
            if not os.path.isdir(os.path.join(root, org)):
                continue
            for repo in sorted(os.listdir(os.path.join(root, org))):
                r = Repo(root, f"{org}/{repo}")
                self.repos[r.name] = r
                for e in r.files.values():
                    self.blobs[e["sha256"]] = e


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    state: State = None

    def log_message(self, *args):
        pass

    # MARK: - helpers

    def send(self, status, body=b"", headers=None, content_type="application/json"):
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def error(self, status, code, message):
        self.send(status, json.dumps({"error": message}).encode(), {"X-Error-Code": code, "X-Error-Message": message})

    def record(self):
        with self.state.lock:
            self.state.log.append({"method": self.command, "path": self.path, "range": self.headers.get("Range"),
                                   "authorization": self.headers.get("Authorization")})

    def repo(self, name):
        """The repository, or None after answering 404 or 401 as the Hub does."""
        r = self.state.repos.get(name)
        if r is None:
            self.error(404, "RepoNotFound", f"Repository not found: {name}")
            return None
        if name in self.state.gated and self.headers.get("Authorization") != f"Bearer {self.state.token}":
            self.error(401, "GatedRepo", f"Access to model {name} is restricted. You must have access to it and be authenticated to access it.")
            return None
        return r

    def revision_ok(self, r, rev):
        if rev in ("main", r.commit):
            return True
        self.error(404, "RevisionNotFound", f"Invalid rev id: {rev}")
        return False

    # MARK: - routes

    def do_HEAD(self):
        self.route()

    def do_GET(self):
        self.route()

    def do_POST(self):
        self.record()
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if self.path == "/_control":
            c = json.loads(body or b"{}")
            with self.state.lock:
                if "cut_after" in c: self.state.cut_after = c["cut_after"]
                if "stall_after" in c: self.state.stall_after = c["stall_after"]
                if "corrupt" in c: self.state.corrupt = bool(c["corrupt"])
                if "gated" in c: self.state.gated = set(c["gated"])
                if "token" in c: self.state.token = c["token"]
            self.send(200, b"{}")
        elif self.path == "/_log/clear":
            with self.state.lock:
                self.state.log = []
            self.send(200, b"{}")
        else:
            self.send(404, b"{}")

    def route(self):
        self.record()
        url = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(url.query)
        parts = [urllib.parse.unquote(p) for p in url.path.split("/")[1:]]
        if parts[:1] == ["_log"]:
            with self.state.lock:
                return self.send(200, json.dumps(self.state.log).encode())
        if parts[:1] == ["_blobs"] and len(parts) == 2:
            return self.blob(parts[1])
        if parts[:2] == ["api", "models"] and len(parts) >= 4:
            name = f"{parts[2]}/{parts[3]}"
            rest = parts[4:]
            if rest[:1] == ["revision"] and len(rest) >= 2:
                return self.info(name, "/".join(rest[1:]), "blobs" in query)
            if rest[:1] == ["tree"] and len(rest) >= 2:
                return self.tree(name, rest[1], "/".join(rest[2:]))
            if not rest:
                return self.info(name, "main", "blobs" in query)
        if len(parts) >= 5 and parts[2] == "resolve":
            return self.resolve(f"{parts[0]}/{parts[1]}", parts[3], "/".join(parts[4:]))
        self.send(404, b'{"error":"not found"}')

    def info(self, name, rev, blobs):
        r = self.repo(name)
        if r is None or not self.revision_ok(r, rev):
            return
        siblings = []
        for p, e in sorted(r.files.items()):
            s = {"rfilename": p}
            if blobs:
                s["size"] = e["size"]
                s["blobId"] = e["git_oid"]
                if e["lfs"]:
                    s["lfs"] = {"sha256": e["sha256"], "size": e["size"], "pointerSize": e["pointer_size"]}
            siblings.append(s)
        self.send(200, json.dumps({"_id": name, "id": name, "modelId": name, "sha": r.commit, "private": False,
                                   "gated": name in self.state.gated, "disabled": False, "tags": [],
                                   "siblings": siblings}).encode())

    def tree(self, name, rev, prefix):
        r = self.repo(name)
        if r is None or not self.revision_ok(r, rev):
            return
        out = []
        for p, e in sorted(r.files.items()):
            if prefix and not p.startswith(prefix.rstrip("/") + "/"):
                continue
            item = {"type": "file", "oid": e["git_oid"], "size": e["size"], "path": p}
            if e["lfs"]:
                item["lfs"] = {"oid": e["sha256"], "size": e["size"], "pointerSize": e["pointer_size"]}
            out.append(item)
        self.send(200, json.dumps(out).encode())

    def resolve(self, name, rev, path):
        r = self.repo(name)
        if r is None or not self.revision_ok(r, rev):
            return
        e = r.files.get(path)
        if e is None:
            return self.error(404, "EntryNotFound", f"{path} does not exist on \"{rev}\"")
        headers = {"X-Repo-Commit": r.commit, "Accept-Ranges": "bytes"}
        if e["lfs"]:
            # The blob lives on "another host" (a CDN for the client): localhost when asked as 127.0.0.1 and back,
            # since huggingface_hub follows same-host redirects on HEAD and stops at other hosts.
            port = self.server.server_address[1]
            asked = (self.headers.get("Host") or "").split(":")[0]
            cdn = "localhost" if asked != "localhost" else "127.0.0.1"
            headers.update({"Location": f"http://{cdn}:{port}/_blobs/{e['sha256']}?file={urllib.parse.quote(path)}",
                            "X-Linked-Etag": f"\"{e['sha256']}\"", "X-Linked-Size": str(e["size"]),
                            "ETag": f"\"{e['git_oid']}\""})
            return self.send(302, b"", headers, "text/plain")
        headers["ETag"] = f"\"{e['git_oid']}\""
        with open(e["path"], "rb") as f:
            self.send(200, f.read(), headers, "application/octet-stream")

    def blob(self, sha):
        e = self.state.blobs.get(sha)
        if e is None:
            return self.send(404, b"{}")
        size = e["size"]
        start, end = 0, size - 1
        rng = self.headers.get("Range")
        status = 200
        if rng and rng.startswith("bytes="):
            a, _, b = rng[6:].partition("-")
            start = int(a) if a else 0
            end = int(b) if b else size - 1
            if start >= size:
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{size}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            end = min(end, size - 1)
            status = 206
        length = end - start + 1
        with self.state.lock:
            cut, stall, corrupt = self.state.cut_after, self.state.stall_after, self.state.corrupt
            if self.command == "GET":
                self.state.cut_after = None
                self.state.stall_after = None
        self.send_response(status)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(length))
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("ETag", f"\"{sha}\"")
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self.end_headers()
        if self.command == "HEAD":
            return
        limit = min(length, cut if cut is not None else length, stall if stall is not None else length)
        with open(e["path"], "rb") as f:
            if not corrupt and limit == length:
                offset, left = start, length
                while left > 0:
                    n = os.sendfile(self.connection.fileno(), f.fileno(), offset, min(left, 1 << 24))
                    if n <= 0:
                        break
                    offset += n
                    left -= n
                return
            f.seek(start)
            data = bytearray(f.read(limit))
        if corrupt and data:
            data[len(data) // 2] ^= 0xFF
        self.wfile.write(data)
        self.wfile.flush()
        if stall is not None and limit < length:
            time.sleep(120)
        if limit < length:
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    args = ap.parse_args()
    Handler.state = State(os.path.abspath(args.folder))
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    port = server.server_address[1]
    if args.port_file:
        with open(args.port_file + ".tmp", "w") as f:
            f.write(str(port))
        os.replace(args.port_file + ".tmp", args.port_file)
    print(f"listening on {port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
