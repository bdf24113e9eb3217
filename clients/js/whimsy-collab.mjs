// Whimsy.Space collaboration client for ZineOS apps: the same OT as lambdas/collab/ot.py.
// Positions count Unicode code points (Array.from), not UTF-16 units, to match the server.
//
//   const doc = new CollabDocument(socket, "my-doc", (text) => render(text));
//   doc.edit(TextOperation.fromJSON([5, "hello"]));  // an edit made on doc.text

const len = (s) => Array.from(s).length;
const slice = (s, a, b) => Array.from(s).slice(a, b).join("");

export class TextOperation {
  constructor() { this.ops = []; this.baseLength = 0; this.targetLength = 0; }
  static fromJSON(components) {
    const op = new TextOperation();
    for (const c of components) {
      if (typeof c === "string") op.insert(c);
      else if (Number.isInteger(c) && c > 0) op.retain(c);
      else if (Number.isInteger(c) && c < 0) op.delete(-c);
      else throw new Error("bad component");
    }
    return op;
  }
  toJSON() { return this.ops.slice(); }
  retain(n) {
    if (n === 0) return this;
    this.baseLength += n; this.targetLength += n;
    const last = this.ops[this.ops.length - 1];
    if (Number.isInteger(last) && last > 0) this.ops[this.ops.length - 1] += n; else this.ops.push(n);
    return this;
  }
  insert(s) {
    if (s === "") return this;
    this.targetLength += len(s);
    const ops = this.ops, last = ops[ops.length - 1];
    if (typeof last === "string") ops[ops.length - 1] += s;
    else if (Number.isInteger(last) && last < 0) {
      if (typeof ops[ops.length - 2] === "string") ops[ops.length - 2] += s;
      else ops.splice(ops.length - 1, 0, s);
    } else ops.push(s);
    return this;
  }
  delete(n) {
    if (n === 0) return this;
    this.baseLength += n;
    const last = this.ops[this.ops.length - 1];
    if (Number.isInteger(last) && last < 0) this.ops[this.ops.length - 1] -= n; else this.ops.push(-n);
    return this;
  }
  apply(doc) {
    if (len(doc) !== this.baseLength) throw new Error("operation does not fit the document");
    const chars = Array.from(doc), out = [];
    let i = 0;
    for (const c of this.ops) {
      if (typeof c === "string") out.push(c);
      else if (c > 0) { out.push(chars.slice(i, i + c).join("")); i += c; }
      else i -= c;
    }
    return out.join("");
  }
}

class Cursor {
  constructor(ops) { this.ops = ops; this.i = 0; this.used = 0; }
  get done() { return this.i >= this.ops.length; }
  get kind() {
    if (this.done) return "end";
    const c = this.ops[this.i];
    return typeof c === "string" ? "insert" : c > 0 ? "retain" : "delete";
  }
  size(c) { return typeof c === "string" ? len(c) : Math.abs(c); }
  get length() { return this.size(this.ops[this.i]) - this.used; }
  take(n) { this.used += n; if (this.used === this.size(this.ops[this.i])) { this.i += 1; this.used = 0; } }
  takeText(n = this.length) { const t = slice(this.ops[this.i], this.used, this.used + n); this.take(n); return t; }
}
const takeMin = (a, b) => { const n = Math.min(a.length, b.length); a.take(n); b.take(n); return n; };

export function compose(a, b) {
  if (a.targetLength !== b.baseLength) throw new Error("compose: lengths differ");
  const r = new TextOperation(), x = new Cursor(a.ops), y = new Cursor(b.ops);
  while (!(x.done && y.done)) {
    if (x.kind === "delete") { const n = x.length; x.take(n); r.delete(n); }
    else if (y.kind === "insert") r.insert(y.takeText());
    else if (x.done || y.done) throw new Error("compose: lengths differ");
    else if (x.kind === "retain" && y.kind === "retain") r.retain(takeMin(x, y));
    else if (x.kind === "insert" && y.kind === "delete") takeMin(x, y);
    else if (x.kind === "insert") { const n = Math.min(x.length, y.length); r.insert(x.takeText(n)); y.take(n); }
    else r.delete(takeMin(x, y));
  }
  return r;
}

// a's inserts win ties: pass the operation committed first as a (the server's rule).
export function transform(a, b) {
  if (a.baseLength !== b.baseLength) throw new Error("transform: different documents");
  const ap = new TextOperation(), bp = new TextOperation(), x = new Cursor(a.ops), y = new Cursor(b.ops);
  while (!(x.done && y.done)) {
    if (x.kind === "insert") { const t = x.takeText(); ap.insert(t); bp.retain(len(t)); }
    else if (y.kind === "insert") { const t = y.takeText(); ap.retain(len(t)); bp.insert(t); }
    else if (x.done || y.done) throw new Error("transform: lengths differ");
    else if (x.kind === "retain" && y.kind === "retain") { const n = takeMin(x, y); ap.retain(n); bp.retain(n); }
    else if (x.kind === "delete" && y.kind === "delete") takeMin(x, y);
    else if (x.kind === "delete") ap.delete(takeMin(x, y));
    else bp.delete(takeMin(x, y));
  }
  return [ap, bp];
}

// The client state machine (one operation in flight, later edits buffered), as ot_client.py.
export class CollabDocument {
  constructor(socket, doc, onText) {
    Object.assign(this, { socket, doc, onText, text: "", rev: 0, pending: null, buffer: null, pendingId: "", n: 0 });
    socket.addEventListener("message", (e) => this.receive(JSON.parse(e.data)));
    socket.addEventListener("open", () => this.send({ action: "join", doc }));
  }
  send(message) { this.socket.send(JSON.stringify(message)); }
  sendPending() {
    if (!this.pending) return;
    this.pendingId = `${Date.now().toString(36)}-${(this.n += 1)}`;
    this.send({ action: "op", doc: this.doc, rev: this.rev, op: this.pending.toJSON(), id: this.pendingId });
  }
  edit(op) {
    this.text = op.apply(this.text);
    if (!this.pending) { this.pending = op; this.sendPending(); }
    else this.buffer = this.buffer ? compose(this.buffer, op) : op;
  }
  receive(m) {
    if (m.type === "joined") { this.text = m.text; this.rev = m.rev; this.onText(this.text); }
    else if (m.type === "ack" && m.id === this.pendingId) {
      this.rev = m.rev; this.pending = this.buffer; this.buffer = null; this.sendPending();
    } else if (m.type === "op" && m.rev > this.rev) {
      let op = TextOperation.fromJSON(m.op);
      if (this.pending) { [op, this.pending] = transform(op, this.pending); }
      if (this.buffer) { [op, this.buffer] = transform(op, this.buffer); }
      this.rev = m.rev; this.text = op.apply(this.text); this.onText(this.text);
    }
  }
}
