"""The embedded broker: kombu's filesystem transport, made safe for several processes on one host.

kombu's writer opens the message file under its final name, then writes it (kombu#1551): a consumer
polling the folder meanwhile moves and reads an empty or half-written file, `json.loads` raises
JSONDecodeError and the message is lost (the worker died on it once under load). Its flock does not
help: the reader never takes it, and a rename ignores it. Here a message is written under a name the
readers skip and renamed into place (atomic on one filesystem), and the exchange tables (fanout
bindings) are never truncated before their lock is held. A file that still can't be decoded is set
aside in `rejected/` with an error in the log instead of stopping the consumer.

Selected in settings by CELERY_BROKER_TRANSPORT when CELERY_BROKER_URL is `filesystem://`.
"""

import logging
import os
import uuid
from queue import Empty
from time import monotonic

from kombu.transport import filesystem
from kombu.utils.encoding import bytes_to_str, str_to_bytes
from kombu.utils.json import dumps, loads

logger = logging.getLogger(__name__)


class Channel(filesystem.Channel):
    def _put(self, queue, payload, **kwargs):
        name = f"{int(round(monotonic() * 1000))}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        # A leading dot: `_get`, `_size` and `_purge` match "<stamp>.<queue>.msg" and skip it.
        partial = os.path.join(self.data_folder_out, f".{name}.part")
        try:
            with open(partial, "wb") as f:
                f.write(str_to_bytes(dumps(payload)))
            os.replace(partial, final)
        except OSError as exc:
            raise filesystem.ChannelError(f"Cannot add file {final!r} to directory") from exc

    def _get(self, queue):
        wanted = f"{queue}.msg"
        for filename in sorted(os.listdir(self.data_folder_in)):
            if filename.partition(".")[2] != wanted:
                continue
            claimed = os.path.join(self.processed_folder, filename)
            try:
                # Whoever renames first owns the message; the others see it gone and go on.
                os.replace(os.path.join(self.data_folder_in, filename), claimed)
            except FileNotFoundError:
                continue
            except OSError as exc:
                raise filesystem.ChannelError(f"Cannot take file {filename!r} from queue.") from exc
            with open(claimed, "rb") as f:
                raw = f.read()
            try:
                message = loads(bytes_to_str(raw))
            except ValueError:
                self._reject(claimed, filename, len(raw))
                continue
            if not self.store_processed:
                os.remove(claimed)
            return message
        raise Empty()

    def _reject(self, path, filename, size):
        rejected = os.path.join(self.processed_folder, "rejected")
        os.makedirs(rejected, exist_ok=True)
        os.replace(path, os.path.join(rejected, filename))
        logger.error(
            "Broker message %s (%d bytes) is not valid JSON: set aside in %s, the worker goes on.",
            filename,
            size,
            rejected,
        )

    def get_table(self, exchange):
        # An exchange file another process has just created is empty until its writer holds the lock.
        file = self._exchange_file(exchange)
        try:
            with file.open("rb") as f:
                filesystem.lock(f, filesystem.LOCK_SH)
                try:
                    raw = f.read()
                finally:
                    filesystem.unlock(f)
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise filesystem.ChannelError(f"Cannot open {file}") from exc
        return [filesystem.exchange_queue_t(*q) for q in loads(bytes_to_str(raw))] if raw.strip() else []

    def _queue_bind(self, exchange, routing_key, pattern, queue):
        file = self._exchange_file(exchange)
        self.control_folder.mkdir(exist_ok=True)
        entry = filesystem.exchange_queue_t(routing_key or "", pattern or "", queue or "")
        try:
            # "a+b" creates the file without truncating it: nothing is erased before the lock is held.
            with file.open("a+b", buffering=0) as f:
                filesystem.lock(f, filesystem.LOCK_EX)
                try:
                    f.seek(0)
                    raw = f.read()
                    queues = (
                        [filesystem.exchange_queue_t(*q) for q in loads(bytes_to_str(raw))]
                        if raw.strip()
                        else []
                    )
                    if entry not in queues:
                        queues.insert(0, entry)
                        f.truncate(0)
                        f.write(str_to_bytes(dumps(queues)))
                finally:
                    filesystem.unlock(f)
        except OSError as exc:
            raise filesystem.ChannelError(f"Cannot open {file}") from exc


class Transport(filesystem.Transport):
    Channel = Channel
