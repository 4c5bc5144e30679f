"""Each real server through its real client, the way the service uses it."""

from __future__ import annotations

import time
import urllib.request
import uuid

import boto3
import botocore.config
import kafka
import psycopg
import pymongo
import pymongo.errors
import pytest
import redis


def test_postgres_write_then_read(postgres_url: str, postgres_schema: str) -> None:
    with psycopg.connect(postgres_url) as connection:
        connection.execute(
            f'CREATE TABLE "{postgres_schema}".npo (id uuid PRIMARY KEY, name text)'
        )
        npo_id = uuid.uuid4()
        connection.execute(
            f'INSERT INTO "{postgres_schema}".npo VALUES (%s, %s)',
            (npo_id, "Harbor Food Bank"),
        )
        connection.commit()
    with psycopg.connect(postgres_url) as connection:
        row = connection.execute(
            f'SELECT id, name FROM "{postgres_schema}".npo'
        ).fetchone()
    assert row == (npo_id, "Harbor Food Bank")


def test_redis_set_get_and_expire(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    key = f"smoke:{uuid.uuid4().hex}"
    try:
        client.set(key, b"cached")
        assert client.get(key) == b"cached"
        assert client.pexpire(key, 150)
        time.sleep(0.3)  # waiting on the server's own clock is the point here
        assert client.get(key) is None
    finally:
        client.close()


def test_kafka_produce_all_acks_and_consume_in_a_group(kafka_bootstrap: str) -> None:
    topic = f"smoke-{uuid.uuid4().hex[:12]}"
    producer = kafka.KafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    try:
        for i in range(5):
            metadata = producer.send(
                topic, key=b"npo", value=f"offering-{i}".encode()
            ).get(timeout=30)
            assert metadata.topic == topic
    finally:
        producer.close()

    consumer = kafka.KafkaConsumer(
        topic,
        bootstrap_servers=kafka_bootstrap,
        group_id=f"smoke-{uuid.uuid4().hex[:8]}",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    values: list[bytes] = []
    try:
        deadline = time.monotonic() + 30
        while len(values) < 5 and time.monotonic() < deadline:
            for records in consumer.poll(timeout_ms=500).values():
                values.extend(r.value for r in records)
        consumer.commit()
        committed = [consumer.committed(tp) for tp in consumer.assignment()]
    finally:
        consumer.close(autocommit=False)
    assert values == [f"offering-{i}".encode() for i in range(5)]
    assert sum(c or 0 for c in committed) == 5


def test_mongodb_insert_find_unique_and_upsert(mongo_url: str) -> None:
    client: pymongo.MongoClient[dict[str, object]] = pymongo.MongoClient(
        mongo_url, serverSelectionTimeoutMS=5000
    )
    collection = client["spotlight_smoke"][f"offerings_{uuid.uuid4().hex[:12]}"]
    try:
        collection.create_index("slug", unique=True)
        collection.insert_many(
            [
                {"_id": f"o{i}", "slug": f"s{i}", "region": "north", "rank": i}
                for i in range(5)
            ]
        )
        found = list(
            collection.find({"region": "north"})
            .sort("rank", pymongo.DESCENDING)
            .limit(2)
        )
        assert [d["_id"] for d in found] == ["o4", "o3"]

        with pytest.raises(pymongo.errors.DuplicateKeyError):
            collection.insert_one({"_id": "other", "slug": "s1"})

        collection.update_one(
            {"_id": "o9"}, {"$set": {"slug": "s9", "rank": 9}}, upsert=True
        )
        collection.update_one({"_id": "o9"}, {"$set": {"rank": 10}}, upsert=True)
        assert collection.find_one({"_id": "o9"}) == {
            "_id": "o9",
            "slug": "s9",
            "rank": 10,
        }
        assert collection.count_documents({}) == 6
    finally:
        collection.drop()
        client.close()


def test_s3_put_get_list_and_presigned_get_over_http(s3_endpoint: str) -> None:
    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=botocore.config.Config(signature_version="s3v4"),
    )
    bucket = f"smoke-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=bucket)
    client.put_object(
        Bucket=bucket,
        Key="npo/guide.pdf",
        Body=b"%PDF-1.4",
        ContentType="application/pdf",
    )
    assert client.get_object(Bucket=bucket, Key="npo/guide.pdf")["Body"].read() == (
        b"%PDF-1.4"
    )
    listed = client.list_objects_v2(Bucket=bucket, Prefix="npo/")
    assert [o["Key"] for o in listed["Contents"]] == ["npo/guide.pdf"]

    url = client.generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": "npo/guide.pdf"}, ExpiresIn=60
    )
    assert url.startswith(s3_endpoint)
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - loopback
        assert response.status == 200
        assert response.read() == b"%PDF-1.4"
