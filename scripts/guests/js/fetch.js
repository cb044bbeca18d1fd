/* fetch.js: globalThis.fetch, Headers and Response for the QuickJS guest,
 * over the host's wasmbox_http import (wb_http.c passes its functions in
 * as `http`). The host performs each request whole and follows redirects
 * itself, so fetch() settles once the final response's headers are in;
 * the body is read from the host as the script asks for it. Failures
 * reject with a TypeError whose message is the host's last_error line.
 * Not provided: Request objects, AbortSignal, redirect modes other than
 * "follow", FormData/URLSearchParams/Blob bodies. */
(function (http) {
    'use strict';
    const CHUNK = 65536;
    const REASONS = {
        200: 'OK', 201: 'Created', 202: 'Accepted', 204: 'No Content',
        206: 'Partial Content', 301: 'Moved Permanently', 302: 'Found',
        303: 'See Other', 304: 'Not Modified', 307: 'Temporary Redirect',
        308: 'Permanent Redirect', 400: 'Bad Request', 401: 'Unauthorized',
        403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed',
        409: 'Conflict', 410: 'Gone', 413: 'Payload Too Large',
        415: 'Unsupported Media Type', 422: 'Unprocessable Entity',
        429: 'Too Many Requests', 500: 'Internal Server Error',
        501: 'Not Implemented', 502: 'Bad Gateway',
        503: 'Service Unavailable', 504: 'Gateway Timeout',
    };
    const NORMAL_METHODS = ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'POST', 'PUT'];

    class Headers {
        constructor(init) {
            this._map = new Map();
            if (init instanceof Headers)
                init.forEach((v, k) => this.append(k, v));
            else if (init && typeof init[Symbol.iterator] === 'function')
                for (const [k, v] of init) this.append(k, v);
            else if (init)
                for (const k of Object.keys(init)) this.append(k, init[k]);
        }
        append(name, value) {
            const k = String(name).toLowerCase(), v = String(value).trim();
            const old = this._map.get(k);
            this._map.set(k, old === undefined ? v : old + ', ' + v);
        }
        set(name, value) { this._map.set(String(name).toLowerCase(), String(value).trim()); }
        get(name) {
            const v = this._map.get(String(name).toLowerCase());
            return v === undefined ? null : v;
        }
        has(name) { return this._map.has(String(name).toLowerCase()); }
        delete(name) { this._map.delete(String(name).toLowerCase()); }
        forEach(fn, self) { for (const [k, v] of this) fn.call(self, v, k, this); }
        *entries() { yield* [...this._map.entries()].sort((a, b) => a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0); }
        *keys() { for (const [k] of this.entries()) yield k; }
        *values() { for (const [, v] of this.entries()) yield v; }
        [Symbol.iterator]() { return this.entries(); }
    }

    function parseHeaders(text) {
        const h = new Headers();
        for (const line of text.split('\n')) {
            const i = line.indexOf(':');
            if (i > 0) h.append(line.slice(0, i), line.slice(i + 1).replace(/\r$/, ''));
        }
        return h;
    }

    function concat(chunks, total) {
        const out = new Uint8Array(total);
        let off = 0;
        for (const c of chunks) { out.set(c, off); off += c.length; }
        return out;
    }

    /* A minimal ReadableStream-like body: getReader().read() gives
     * {done, value: Uint8Array} chunks; also async-iterable. */
    class Body {
        constructor(response) { this._response = response; }
        getReader() {
            const r = this._response;
            r._take();
            return {
                read() {
                    return new Promise((resolve) => {
                        const chunk = r._next();
                        resolve(chunk ? { done: false, value: chunk } : { done: true, value: undefined });
                    });
                },
                cancel() { r._close(); return Promise.resolve(); },
                releaseLock() {},
            };
        }
        [Symbol.asyncIterator]() {
            const reader = this.getReader();
            return {
                next: () => reader.read(),
                return: () => reader.cancel().then(() => ({ done: true, value: undefined })),
            };
        }
    }

    class Response {
        /* new Response(body, {status, statusText, headers}): a response
         * held in memory (a string, ArrayBuffer or typed array body). */
        constructor(body, init) {
            init = init || {};
            const headers = new Headers(init.headers);
            let bytes = null;
            if (body !== undefined && body !== null) {
                if (body instanceof ArrayBuffer) bytes = new Uint8Array(body.slice(0));
                else if (ArrayBuffer.isView(body)) bytes = new Uint8Array(body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength));
                else {
                    bytes = new Uint8Array(http.encode(String(body)));
                    if (!headers.has('content-type')) headers.set('content-type', 'text/plain;charset=UTF-8');
                }
            }
            const status = init.status === undefined ? 200 : init.status | 0;
            this._setup(null, bytes, status, headers, '');
            if (init.statusText !== undefined) this.statusText = String(init.statusText);
        }
        _setup(handle, bytes, status, headers, url) {
            this._handle = handle;
            this._mem = bytes;
            this._used = false;
            this.status = status;
            this.statusText = REASONS[status] || '';
            this.headers = headers;
            this.url = url;
            this.redirected = false;
            this.type = handle ? 'basic' : 'default';
            this.body = handle || bytes ? new Body(this) : null;
        }
        get ok() { return this.status >= 200 && this.status <= 299; }
        get bodyUsed() { return this._used; }
        _take() {
            if (this._used) throw new TypeError('fetch: body already used');
            this._used = true;
        }
        _next() {
            if (this._mem) { const m = this._mem; this._mem = null; return m; }
            if (!this._handle) return null;
            let buf;
            try {
                buf = http.read(this._handle, CHUNK);
            } catch (e) {
                this._close();
                throw e;
            }
            if (buf === null) { this._close(); return null; }
            return new Uint8Array(buf);
        }
        _close() {
            if (this._handle) { http.close(this._handle); this._handle = null; }
        }
        _bytes() {
            return new Promise((resolve) => {
                this._take();
                const chunks = [];
                let total = 0, c;
                while ((c = this._next()) !== null) { chunks.push(c); total += c.length; }
                resolve(concat(chunks, total));
            });
        }
        arrayBuffer() { return this._bytes().then((b) => b.buffer); }
        text() { return this._bytes().then((b) => b.length ? http.utf8(b.buffer) : ''); }
        json() { return this.text().then((t) => JSON.parse(t)); }
    }

    function requestBody(body, headers) {
        if (body === undefined || body === null) return undefined;
        if (body instanceof ArrayBuffer || ArrayBuffer.isView(body)) return body;
        if (typeof body !== 'string') body = String(body);
        if (!headers.has('content-type')) headers.set('content-type', 'text/plain;charset=UTF-8');
        return body;
    }

    function fetch(input, init) {
        return new Promise((resolve) => {
            init = init || {};
            const url = String(input && typeof input === 'object' && 'url' in input ? input.url : input);
            let method = init.method === undefined ? 'GET' : String(init.method);
            if (NORMAL_METHODS.includes(method.toUpperCase())) method = method.toUpperCase();
            const headers = new Headers(init.headers);
            const body = requestBody(init.body, headers);
            if (body !== undefined && (method === 'GET' || method === 'HEAD'))
                throw new TypeError('fetch: a ' + method + ' request cannot have a body');
            const lines = [];
            for (const [k, v] of headers) lines.push(k + ': ' + v);
            const handle = http.request(method, url, lines.join('\n'), body);
            let status, text;
            try {
                [status, text] = http.response(handle);
            } catch (e) {
                http.close(handle);
                throw e;
            }
            const res = Object.create(Response.prototype);
            res._setup(handle, null, status, parseHeaders(text), url);
            if (method === 'HEAD' || status === 204 || status === 304) res._close();
            resolve(res);
        });
    }

    Object.defineProperty(globalThis, 'fetch', { value: fetch, writable: true, configurable: true });
    Object.defineProperty(globalThis, 'Headers', { value: Headers, writable: true, configurable: true });
    Object.defineProperty(globalThis, 'Response', { value: Response, writable: true, configurable: true });
})
