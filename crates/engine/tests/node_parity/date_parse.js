// Date strings beyond ECMAScript's own format, as V8 reads them (`Date.parse`, `new Date(s)`),
// and the Date constructor's other behaviours around them.
exports = function () {
  const texts = [
    // What forms, databases, mail and other services send.
    "2024-03-10 10:00", "2024-03-10 10:00:05", "2024-03-10 10:00:05.123", "2024-03-10 10:00:05.123456",
    "2024/03/10", "2024/03/10 10:00", "03/10/2024", "3/10/2024 10:00 AM", "3/10/2024 12:30 am", "3/10/2024 12:30 PM",
    "March 7, 2024", "Mar 7 2024", "7 March 2024", "7-Mar-2024", "Mar-07-2024", "Thu Mar 07 2024",
    "Thu Mar 07 2024 10:00:00 GMT+0100", "Thu Mar 07 2024 10:00:00 GMT+0100 (Central European Standard Time)",
    "Thu, 07 Mar 2024 10:00:00 +0000", "Thu, 07 Mar 2024 10:00:00 GMT", "07 Mar 2024 10:00 UTC",
    "Mon, 25 Dec 95 13:30:00 EST", "Sun Feb 01 1998 00:00:00 PST", "1998-02-01 00:00 CDT",
    "2024-03-07 10:00:00 UTC", "2024-03-07 10:00:00Z", "2024-03-07 10:00:00 +05:30", "2024-03-07 10:00 GMT-8",
    "2024-03-07T10:00:00.123456Z", "2024-03-07T10:00:00.1Z", "2024-03-07T10:00:00+0100", "2024-03-07T10:00:00-05:30",
    "2024-3-7", "2024-03-07", "2024-03", "2024", "20240307", "12/31/1999 23:59:59", "1 January 2000 00:00 GMT",
    "January 2000", "March 7", "03/10", "Sat Jan 01 2000", "2024-03-07T24:00:00Z", "10:00 2024-03-07",
    "2024-03-07 10::", "2024-03-07 10:00:00.5 pm", "Tuesday, March 5, 2024 at 10:00", "(comment) March 7 2024",
    // And what V8 refuses.
    "2024-13-01", "2024-03-07T25:00", "3/10/2024 13:00 PM", "foo", "", " ", "2024 foo", "foo2024", "2024-03-07 +",
    "March 7 2024 10 AM", "1/2/3/4", "10:00:00:00", "2024-03-07T10:00:00+25:00", "+275760-09-13T00:00:00Z",
    "+275760-09-13T00:00:00.001Z", "-000000-01-01T00:00:00Z", "2024-02-30 10:00", "Feb 30 2024", "2024-03-07\u00a010:00",
  ];
  const read = (t) => {
    const ms = Date.parse(t);
    return [t, Number.isNaN(ms) ? "NaN" : new Date(ms).toISOString(), new Date(t).getTime() === ms || (Number.isNaN(ms) && Number.isNaN(new Date(t).getTime()))];
  };
  class Stamp extends Date {
    year() {
      return this.getUTCFullYear();
    }
  }
  const d = new Date("March 7, 2024");
  const behaviours = [
    new Stamp("2024-03-10 10:00").year(),
    new Stamp(0) instanceof Date,
    d.constructor === Date,
    Date.prototype.constructor === Date,
    [Date.name, Date.length, typeof Date(), typeof Date("March 7, 2024")],
    new Date(d).getTime() === d.getTime(),
    new Date(2024, 0, 31, 10).toISOString(),
    new Date({ valueOf: () => 5 }).getTime(),
    new Date({ toString: () => "March 7, 2024", valueOf: undefined }).getTime(),
    new Date(new String("2024-03-10 10:00")).getTime(),
    Object.prototype.toString.call(d),
    Object.getOwnPropertyNames(Date).sort(),
    Reflect.construct(Date, ["2024-03-10 10:00"], Stamp) instanceof Stamp,
    (() => { try { return Date.parse(Symbol("x")); } catch (e) { return e.name; } })(),
    (() => { try { return new Date(Symbol("x")); } catch (e) { return e.name; } })(),
    Date.parse(),
    Date.parse(null),
    Date.UTC(2024, 2, 7),
  ];
  return JSON.stringify({ texts: texts.map(read), behaviours });
};
