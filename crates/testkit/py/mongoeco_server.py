"""Runs mongoeco's MongoDB wire-protocol server on a loopback port for writ's tests.

Usage: python mongoeco_server.py [PORT]   (0 or nothing: a free port)
Prints the port on stdout once the server answers `hello`, and stops when stdin closes
(the test process that started it has exited) or on SIGTERM.

mongoeco deviates from MongoDB in four places that the official Rust driver trips over; each
is patched here, next to what real MongoDB does.
"""

import asyncio
import sys

from bson.int64 import Int64
from mongoeco.core.bson_scalars import BsonInt64

import mongoeco.wire.proxy as proxy
import mongoeco.wire.sessions as sessions

_INTEGER_FIELDS = ("limit", "skip", "batchSize", "getMore", "ntoreturn")


def _plain(value):
    if isinstance(value, BsonInt64):
        return int(value.value)
    if isinstance(value, Int64):
        return int(value)
    return value


_decode_op_msg = proxy.decode_op_msg


def _decode_op_msg_accepting_int64(header, payload):
    # 1. The driver sends limit, skip, batchSize, the getMore cursor id and the $limit/$skip of
    #    countDocuments as Int64. MongoDB
    #    accepts any integral number type there; mongoeco rejects Int64, so make them ints.
    request = _decode_op_msg(header, payload)
    body = request.body
    for key in _INTEGER_FIELDS:
        if key in body:
            body[key] = _plain(body[key])
    cursor = body.get("cursor")
    if isinstance(cursor, dict) and "batchSize" in cursor:
        cursor["batchSize"] = _plain(cursor["batchSize"])
    # The same for $limit and $skip stages (countDocuments runs as an aggregation).
    for stage in body.get("pipeline") or ():
        if isinstance(stage, dict):
            for key in ("$limit", "$skip"):
                if key in stage:
                    stage[key] = _plain(stage[key])
    return request


_encode_op_msg_response = proxy.encode_op_msg_response


def _encode_op_msg_response_like_mongodb(document, *, request_id, response_to):
    # 2. MongoDB always replies with cursor.id as an Int64 (the driver requires it); mongoeco
    #    sends small ids as Int32.
    cursor = document.get("cursor")
    if isinstance(cursor, dict) and isinstance(cursor.get("id"), int):
        cursor["id"] = BsonInt64(int(cursor["id"]))
    # 3. MongoDB's error replies always carry a numeric `code`; without one the driver hides the
    #    message. mongoeco's sometimes lack it: report them as UnknownError (8).
    #    A transaction's write conflict is MongoDB's WriteConflict (112), labelled
    #    TransientTransactionError so that the client runs the transaction again (mongoeco's
    #    conflicts are per database, MongoDB's per document, so they come more often here).
    failed = document.get("ok") in (0, 0.0)
    if failed and str(document.get("errmsg", "")).startswith("Write conflict"):
        document["code"] = 112
        document["codeName"] = "WriteConflict"
        document["errorLabels"] = ["TransientTransactionError"]
    elif failed and "code" not in document:
        document["code"] = 8
        document.setdefault("codeName", "UnknownError")
    return _encode_op_msg_response(document, request_id=request_id, response_to=response_to)


proxy.decode_op_msg = _decode_op_msg_accepting_int64
proxy.encode_op_msg_response = _encode_op_msg_response_like_mongodb

# 4. A commit MongoDB refuses for a write conflict ends the transaction, so the client's next
#    `startTransaction` begins a new one. mongoeco leaves the failed one open, and every retry
#    then fails against its stale snapshot: end it.
_commit_transaction = sessions.WireSessionStore.commit_transaction


def _commit_transaction_ending_on_failure(self, body):
    try:
        return _commit_transaction(self, body)
    except Exception:
        try:
            self.abort_transaction(body)
        except Exception:
            pass
        raise


sessions.WireSessionStore.commit_transaction = _commit_transaction_ending_on_failure


async def answers_hello(port: int) -> bool:
    """Sends `hello` over the wire protocol, as a driver's first command, and checks the reply."""
    from mongoeco.wire.protocol import encode_op_msg_request

    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(encode_op_msg_request({"hello": 1, "$db": "admin"}, request_id=1))
        await writer.drain()
        header = await reader.readexactly(16)
        length = int.from_bytes(header[:4], "little")
        payload = await reader.readexactly(length - 16)
        return b"isWritablePrimary" in payload or b"ismaster" in payload
    finally:
        writer.close()


async def main() -> None:
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    server = proxy.AsyncMongoEcoProxyServer(host="127.0.0.1", port=port)
    address = await server.start()
    for _ in range(50):
        if await answers_hello(address.port):
            break
        await asyncio.sleep(0.1)
    else:
        sys.exit("the wire server does not answer hello")
    print(address.port, flush=True)
    loop = asyncio.get_running_loop()
    # Stop when the parent goes away: its end of our stdin closes.
    await loop.run_in_executor(None, sys.stdin.read)
    await server.close()


if __name__ == "__main__":
    asyncio.run(main())
