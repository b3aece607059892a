"""gs:// inputs and uploads with google-cloud-storage.

Honours ``STORAGE_EMULATOR_HOST`` (e.g. ``http://localhost:9023``): the client
then talks to the emulator with anonymous credentials.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Iterable


def is_gcs(uri: str | os.PathLike[str]) -> bool:
    return str(uri).startswith("gs://")


def split(uri: str) -> tuple[str, str]:
    if not is_gcs(uri):
        raise ValueError(f"not a gs:// URI: {uri}")
    bucket, _, prefix = uri[len("gs://") :].partition("/")
    if not bucket:
        raise ValueError(f"no bucket in {uri}")
    return bucket, prefix


def client() -> Any:
    from google.cloud import storage

    if os.environ.get("STORAGE_EMULATOR_HOST"):
        from google.auth.credentials import AnonymousCredentials

        project = os.environ.get("GOOGLE_CLOUD_PROJECT", "emulator")
        return storage.Client(project=project, credentials=AnonymousCredentials())
    return storage.Client()


def download(uri: str, dest_dir: Path) -> Path:
    """Download a gs:// object, or every object under a gs:// prefix (a SavedModel
    directory), into ``dest_dir``; returns the local path of the file or folder."""
    bucket_name, key = split(uri)
    c = client()
    bucket = c.bucket(bucket_name)
    key = key.rstrip("/")
    dest_dir.mkdir(parents=True, exist_ok=True)
    blob = bucket.blob(key) if key else None
    if blob is not None and blob.exists():
        local = dest_dir / Path(key).name
        blob.download_to_filename(str(local))
        return local
    prefix = key + "/" if key else ""
    root = dest_dir / (Path(key).name or bucket_name)
    found = False
    for b in c.list_blobs(bucket_name, prefix=prefix):
        if b.name.endswith("/"):
            continue
        found = True
        local = root / b.name[len(prefix) :]
        local.parent.mkdir(parents=True, exist_ok=True)
        b.download_to_filename(str(local))
    if not found:
        raise FileNotFoundError(f"nothing at {uri}")
    return root


def upload(files: Iterable[Path], uri: str) -> list[str]:
    """Upload ``files`` under the gs:// prefix ``uri`` (by file name); returns their URIs."""
    bucket_name, prefix = split(uri)
    prefix = prefix.rstrip("/")
    bucket = client().bucket(bucket_name)
    uris = []
    for f in files:
        key = f"{prefix}/{f.name}" if prefix else f.name
        bucket.blob(key).upload_from_filename(str(f))
        uris.append(f"gs://{bucket_name}/{key}")
    return uris
