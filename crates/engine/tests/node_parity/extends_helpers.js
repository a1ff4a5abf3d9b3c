// The `extends` helpers compilers emit (TypeScript's ES5 `__extends`, CoffeeScript's
// `extend`) set `this.constructor = Sub` on an object inheriting the built-in's prototype;
// over Node's EventEmitter and streams (xml2js's Parser extends EventEmitter so).
exports = function () {
  const EventEmitter = require("events");
  const { Readable, Writable, Transform, Duplex, PassThrough } = require("stream");
  const tsExtends = (d, b) => {
    function __() {
      this.constructor = d;
    }
    d.prototype = b === null ? Object.create(b) : ((__.prototype = b.prototype), new __());
  };
  const coffeeExtend = (child, parent) => {
    for (const key in parent) if (Object.prototype.hasOwnProperty.call(parent, key)) child[key] = parent[key];
    function ctor() {
      this.constructor = child;
    }
    ctor.prototype = parent.prototype;
    child.prototype = new ctor();
    child.__super__ = parent.prototype;
    return child;
  };
  const results = [];
  for (const [name, Base] of Object.entries({ EventEmitter, Readable, Writable, Transform, Duplex, PassThrough })) {
    for (const [how, extend] of [["ts", tsExtends], ["coffee", coffeeExtend]]) {
      function Sub() {
        Base.call(this);
      }
      extend(Sub, Base);
      Sub.prototype.hello = function () {
        return name;
      };
      const s = new Sub();
      let heard;
      s.on("ping", (v) => (heard = v));
      s.emit("ping", how);
      results.push([name, how, s.constructor === Sub, s instanceof Base, s.hello(), heard, Base.prototype.constructor === Base]);
    }
  }
  return JSON.stringify(results);
};
