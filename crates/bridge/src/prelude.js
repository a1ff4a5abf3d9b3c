// The JS side of `context.services.get("mongodb-atlas")`: argument forms of App Services'
// collection methods, gathered into one spec object per call. `call(kind, spec)` is native:
// it checks the spec, builds the operation and returns the promise of its result.
(function (callUser, callSystem) {
  "use strict";
  // One set of classes per privilege, so user code cannot reach the system's native call.
  function classes(call) {
  const ns = (coll) => ({ database: coll.database.name, collection: coll.name });
  const opts = (o) => (o === undefined || o === null ? {} : o);

  class Cursor {
    constructor(kind, spec) {
      this._kind = kind;
      this._spec = spec;
      this._buffer = undefined;
    }
    _mutable(what) {
      if (this._buffer !== undefined) {
        throw new Error(`cursor.${what}() must be called before next() or toArray()`);
      }
      return this;
    }
    sort(sort) { this._mutable("sort")._spec.sort = sort; return this; }
    skip(n) { this._mutable("skip")._spec.skip = n; return this; }
    limit(n) { this._mutable("limit")._spec.limit = n; return this; }
    async _fill() {
      if (this._buffer === undefined) {
        this._buffer = [];
        this._buffer = await call(this._kind, this._spec);
      }
      return this._buffer;
    }
    async toArray() {
      const buffer = await this._fill();
      this._buffer = [];
      return buffer;
    }
    async next() {
      const buffer = await this._fill();
      return buffer.length > 0 ? buffer.shift() : undefined;
    }
    async hasNext() {
      const buffer = await this._fill();
      return buffer.length > 0;
    }
  }

  class Collection {
    constructor(database, name) {
      if (typeof name !== "string" || name === "") throw new TypeError("database.collection: name must be a non-empty string");
      this.database = database;
      this.name = name;
    }
    // Options are passed through whole: the native side rejects any it does not support, by name.
    find(query, projection, options) {
      return new Cursor("find", { ...opts(options), ...ns(this), filter: query, projection: projection ?? opts(options).projection });
    }
    findOne(query, projection, options) {
      return call("findOne", { ...opts(options), ...ns(this), filter: query, projection: projection ?? opts(options).projection });
    }
    findOneAndUpdate(query, update, options) {
      return call("findOneAndUpdate", { ...opts(options), ...ns(this), filter: query, update });
    }
    findOneAndReplace(query, replacement, options) {
      return call("findOneAndReplace", { ...opts(options), ...ns(this), filter: query, replacement });
    }
    findOneAndDelete(query, options) {
      return call("findOneAndDelete", { ...opts(options), ...ns(this), filter: query });
    }
    insertOne(document, options) { return call("insertOne", { ...opts(options), ...ns(this), document }); }
    insertMany(documents, options) { return call("insertMany", { ...opts(options), ...ns(this), documents }); }
    updateOne(query, update, options) { return call("updateOne", { ...opts(options), ...ns(this), filter: query, update }); }
    updateMany(query, update, options) { return call("updateMany", { ...opts(options), ...ns(this), filter: query, update }); }
    deleteOne(query, options) { return call("deleteOne", { ...opts(options), ...ns(this), filter: query }); }
    deleteMany(query, options) { return call("deleteMany", { ...opts(options), ...ns(this), filter: query }); }
    aggregate(pipeline, options) { return new Cursor("aggregate", { ...opts(options), ...ns(this), pipeline }); }
    count(query, options) { return call("count", { ...opts(options), ...ns(this), filter: query }); }
    countDocuments(query, options) { return call("countDocuments", { ...opts(options), ...ns(this), filter: query }); }
    estimatedDocumentCount(options) { return call("estimatedDocumentCount", { ...opts(options), ...ns(this) }); }
    distinct(field, query, options) { return call("distinct", { ...opts(options), ...ns(this), field, filter: query }); }
    // App Services documents bulkWrite as resolving to null; the bulk builders' execute() reports counts.
    async bulkWrite(operations, options) { await call("bulkWrite", { ...opts(options), ...ns(this), operations }); return null; }
    initializeOrderedBulkOp() { return new BulkOp(this, true); }
    initializeUnorderedBulkOp() { return new BulkOp(this, false); }
    watch() { throw new Error("collection.watch is not supported in functions (App Services offered change streams to clients only)"); }
  }

  class BulkFind {
    constructor(bulk, filter) {
      this._bulk = bulk;
      this._filter = filter;
      this._upsert = false;
    }
    upsert() { this._upsert = true; return this; }
    _push(op) { this._bulk._ops.push(op); return this._bulk; }
    updateOne(update) { return this._push({ updateOne: { filter: this._filter, update, upsert: this._upsert } }); }
    update(update) { return this._push({ updateMany: { filter: this._filter, update, upsert: this._upsert } }); }
    replaceOne(replacement) { return this._push({ replaceOne: { filter: this._filter, replacement, upsert: this._upsert } }); }
    deleteOne() { return this._push({ deleteOne: { filter: this._filter } }); }
    delete() { return this._push({ deleteMany: { filter: this._filter } }); }
    removeOne() { return this.deleteOne(); }
    remove() { return this.delete(); }
  }

  class BulkOp {
    constructor(collection, ordered) {
      this._collection = collection;
      this._ordered = ordered;
      this._ops = [];
      this._executed = false;
    }
    insert(document) { this._ops.push({ insertOne: { document } }); return this; }
    find(filter) { return new BulkFind(this, filter); }
    execute(options) {
      if (this._executed) throw new Error("bulk operation: execute() was already called");
      if (this._ops.length === 0) throw new Error("bulk operation: there are no operations to execute");
      this._executed = true;
      return call("bulkWrite", { ...opts(options), ...ns(this._collection), operations: this._ops, ordered: this._ordered });
    }
  }

  class Session {
    constructor() {
      // The id is the only enumerable field: `{ session }` options carry just it.
      this.id = new BSON.ObjectId();
      Object.defineProperty(this, "_inTransaction", { value: false, writable: true, enumerable: false });
    }
    inTransaction() { return this._inTransaction; }
    async startTransaction() {
      await call("startTransaction", { session: this });
      this._inTransaction = true;
    }
    async commitTransaction() {
      await call("commitTransaction", { session: this });
      this._inTransaction = false;
    }
    async abortTransaction() {
      await call("abortTransaction", { session: this });
      this._inTransaction = false;
    }
    async withTransaction(fn) {
      await this.startTransaction();
      let result;
      try {
        result = await fn(this);
      } catch (error) {
        if (this._inTransaction) await this.abortTransaction();
        throw error;
      }
      if (this._inTransaction) await this.commitTransaction();
      return result;
    }
    endSession() { return call("endSession", { session: this }); }
  }

  class Database {
    constructor(name) {
      if (typeof name !== "string" || name === "") throw new TypeError("mongodb.db: name must be a non-empty string");
      this.name = name;
    }
    collection(name) { return new Collection(this, name); }
    getCollectionNames() { return call("getCollectionNames", { database: this.name }); }
  }

  class MongoDBService {
    db(name) { return new Database(name); }
    admin() { return { getDBNames: () => call("getDBNames", {}) }; }
    startSession() { return new Session(); }
  }

  // Frozen, like every built-in: a call cannot change what a later call's objects do.
  for (const C of [Cursor, Collection, BulkFind, BulkOp, Session, Database, MongoDBService]) {
    Object.freeze(C.prototype);
    Object.freeze(C);
  }
  return MongoDBService;
  }
  const UserService = classes(callUser);
  const SystemService = classes(callSystem);
  return (system) => (system ? new SystemService() : new UserService());
})
