// The AWS SDK v3's S3 client (SigV4 signing, its Node http handler, XML parsing) against the
// test's S3-like endpoint.
exports = async function (base) {
  const { S3Client, ListBucketsCommand, PutObjectCommand } = require("@aws-sdk/client-s3");
  const client = new S3Client({
    region: "us-east-1",
    endpoint: base,
    forcePathStyle: true,
    credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" },
  });
  const list = await client.send(new ListBucketsCommand({}));
  const put = await client.send(new PutObjectCommand({ Bucket: "photos", Key: "a.txt", Body: "hello", ContentType: "text/plain" }));
  return JSON.stringify({ buckets: list.Buckets.map((b) => [b.Name, b.CreationDate.toISOString()]), owner: list.Owner.DisplayName, etag: put.ETag, status: put.$metadata.httpStatusCode });
};
