// Checkpointer: the public class, wiring the snapshot, the background worker, the commit protocol
// (persist), restore, retention, the interruption watcher and the SageMaker failure file.
#include <atomic>
#include <chrono>
#include <mutex>

#include "checkpointer/persist.h"
#include "checkpointer/restore.h"
#include "checkpointer/retention.h"
#include "checkpointer/root_channel.h"
#include "checkpointer/save_worker.h"
#include "checkpointer/snapshot.h"
#include "ckpt/signal_flag.h"
#include "ronde/checkpoint/checkpointer.h"
#include "ronde/checkpoint/sagemaker_output.h"

namespace ronde::checkpoint {
namespace {

std::string describe(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "unknown exception";
  }
}

std::shared_ptr<Storage> open_for(const Context& context, std::string_view uri, const CheckpointerOptions& options) {
  const std::string resolved = resolve_checkpoint_uri(uri, context.sagemaker());
  return open_storage(resolved, options.storage ? *options.storage : StorageOptions::from_env());
}

}  // namespace

struct Checkpointer::Impl {
  Impl(Context& ctx, std::shared_ptr<Storage> store, CheckpointerOptions opts)
      : context(ctx),
        options(std::move(opts)),
        storage(std::move(store)),
        log(options.logger ? *options.logger : ctx.log()),
        channel(ctx.size() > 1 ? &ctx.transport() : nullptr) {
    if (!storage) throw Error(ErrorCode::InvalidArgument, "checkpointer: the storage is null");
    if (options.every_steps < 0 || options.keep_last < 0 || options.keep_every < 0) {
      throw Error(ErrorCode::InvalidArgument, "checkpointer: every_steps, keep_last and keep_every must be >= 0");
    }
    if (!options.encryption_key) options.encryption_key = EncryptionKey::from_env();
    if (options.encryption_frame_bytes < 1 || options.encryption_frame_bytes > kMaxEncryptionFrameBytes) {
      throw Error(ErrorCode::InvalidArgument, "checkpointer: encryption_frame_bytes must be in 1.." +
                                                  std::to_string(kMaxEncryptionFrameBytes));
    }
    encryption.key = options.encryption_key;
    encryption.frame_bytes = options.encryption_frame_bytes;
    if (options.watch_interruptions) {
      watcher = std::make_unique<InterruptionWatcher>(
          options.interruption ? *options.interruption : InterruptionOptions::from_env(), log);
    }
  }

  // Snapshots `state` and hands the save to the worker; the previous save must be finished.
  void start_save(std::int64_t step, const CheckpointState& state) {
    worker.wait_idle();
    if (auto error = worker.take_error()) std::rethrow_exception(error);
    try {
      detail::take_snapshot(state, step, context.rank(), context.size(), options.plan, staging);
    } catch (const Error& error) {
      staging.step = step;
      staging.failure = error.message();
      staging.failure_code = error.code();
    }
    in_flight_step = step;
    worker.submit([this] { persist_and_retain(); });
  }

  // On the worker thread: the commit protocol, then (rank 0) retention.
  void persist_and_retain() {
    const CheckpointId id = detail::persist(*storage, channel, log, staging, encryption, superseded);
    {
      std::lock_guard<std::mutex> lock(mutex);
      last = id;
    }
    log.info("committed checkpoint ", id.name(), " to ", storage->uri());
    if (context.rank() == 0) {
      detail::apply_retention(*storage, {options.keep_last, options.keep_every}, id, log);
    }
  }

  void wait() {
    worker.wait_idle();
    if (auto error = worker.take_error()) std::rethrow_exception(error);
  }

  Context& context;
  CheckpointerOptions options;
  std::shared_ptr<Storage> storage;
  Logger log;
  detail::RootChannel channel;
  std::unique_ptr<InterruptionWatcher> watcher;
  detail::Snapshot staging;  // reused by every save; only touched while the worker is idle
  detail::SaveEncryption encryption;  // the key and the reused ciphertext buffer (worker thread)
  std::atomic<bool> superseded{false};  // save_now asks the save in flight to stop (persist())
  std::int64_t in_flight_step = -1;     // the step of the last save handed to the worker
  mutable std::mutex mutex;
  std::optional<CheckpointId> last;
  detail::SaveWorker worker;  // last: destroyed first, so the job in flight finishes before the rest
};

Checkpointer::Checkpointer(Context& context, std::string_view uri, CheckpointerOptions options)
    // `options` is copied, not moved: argument evaluation order would let a move run before open_for.
    : Checkpointer(context, open_for(context, uri, options), options) {}

Checkpointer::Checkpointer(Context& context, std::shared_ptr<Storage> storage, CheckpointerOptions options)
    : impl_(std::make_unique<Impl>(context, std::move(storage), std::move(options))) {}

Checkpointer::~Checkpointer() {
  impl_->worker.wait_idle();
  if (auto error = impl_->worker.take_error()) {
    impl_->log.error("the last checkpoint save failed: ", describe(error));
  }
}

std::optional<std::int64_t> Checkpointer::restore_latest(CheckpointState& state) {
  impl_->wait();
  return detail::restore_latest(*impl_->storage, impl_->channel, impl_->log, state, impl_->options.encryption_key);
}

bool Checkpointer::maybe_save(std::int64_t step, const CheckpointState& state) {
  // Errors of the background save surface only on calls that save (the same calls on every rank),
  // never on whichever call happens to find the save finished: ranks must fail at the same step.
  if (impl_->options.every_steps <= 0 || step % impl_->options.every_steps != 0) return false;
  impl_->start_save(step, state);
  if (!impl_->options.async) impl_->wait();
  return true;
}

void Checkpointer::save(std::int64_t step, const CheckpointState& state) {
  impl_->start_save(step, state);
  impl_->wait();
}

void Checkpointer::wait() { impl_->wait(); }

bool Checkpointer::interrupted() const { return impl_->watcher && impl_->watcher->interrupted(); }

InterruptionWatcher* Checkpointer::watcher() { return impl_->watcher.get(); }

void Checkpointer::save_now(std::int64_t step, const CheckpointState& state) {
  // A save in flight of an earlier step is superseded: it stops before its next shard upload, so
  // that the final checkpoint gets the bandwidth; one of this very step is let finish.
  const bool supersede = !impl_->worker.idle() && impl_->in_flight_step < step;
  if (supersede) impl_->superseded = true;
  impl_->worker.wait_idle();
  impl_->superseded = false;
  if (auto error = impl_->worker.take_error()) {
    impl_->log.warn(supersede ? "the save in flight was stopped for the final checkpoint: "
                              : "the save in flight failed; writing the final checkpoint anyway: ",
                    describe(error));
  }
  if (auto previous = last_committed(); previous && previous->step == step) {
    impl_->log.warn("final checkpoint: step ", step, " is already committed as ", previous->name());
    return;
  }
  const auto deadline = impl_->watcher ? impl_->watcher->deadline() : std::nullopt;
  // The process is stopping: a late SIGTERM (another host's, a second notice) must find a handler
  // even after this Checkpointer is gone, or it kills a rank that has saved.
  if (impl_->watcher) detail::keep_caught_until_exit();
  impl_->start_save(step, state);
  impl_->wait();
  if (deadline && std::chrono::steady_clock::now() > *deadline) {
    impl_->log.warn("final checkpoint of step ", step, " was committed after the termination deadline "
                    "(RONDE_TERMINATION_GRACE_S); the platform may have killed a slower rank");
  } else {
    impl_->log.warn("final checkpoint of step ", step, " committed", deadline ? " within the deadline" : "");
  }
}

std::filesystem::path Checkpointer::save_model(std::int64_t step, const CheckpointState& state,
                                              std::optional<std::filesystem::path> directory) {
  const auto& sagemaker = impl_->context.sagemaker();
  if (!directory) {
    if (!sagemaker) {
      throw Error(ErrorCode::InvalidArgument,
                  "save_model: not in a SageMaker container (no /opt/ml), so there is no model directory; give one");
    }
    directory = sagemaker->model_dir();
  }
  // The model's own checkpointer shares this one's transport tag: nothing of ours may be in flight.
  impl_->wait();
  CheckpointerOptions options;
  options.async = false;
  options.watch_interruptions = false;
  options.keep_last = 1;
  options.interruption = InterruptionOptions{};
  options.storage = impl_->options.storage;
  options.encryption_key = impl_->options.encryption_key;
  options.plan = impl_->options.plan;
  options.logger = impl_->log;
  Checkpointer model(impl_->context, "file://" + std::filesystem::absolute(*directory).string(), options);
  model.save(step, state);
  impl_->log.info("saved the model of step ", step, " to ", directory->string());
  return *directory;
}

bool Checkpointer::write_failure_reason(std::string_view reason) const {
  const auto& sagemaker = impl_->context.sagemaker();
  if (!sagemaker) return false;
  try {
    checkpoint::write_failure_reason(*sagemaker, reason);
  } catch (const std::exception& error) {
    impl_->log.error("could not write the SageMaker failure reason: ", error.what());
  }
  return true;
}

Storage& Checkpointer::storage() { return *impl_->storage; }

std::optional<CheckpointId> Checkpointer::last_committed() const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->last;
}

}  // namespace ronde::checkpoint
