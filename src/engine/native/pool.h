// A fixed set of worker threads that run one job per call, each on its own part index. The
// caller runs part 0 itself. Waiting is on condition variables, never a spin: on a shared
// machine a descheduled worker then costs the others nothing.
#pragma once
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace lstm {

/** Worker threads for parts 1..n of a data-parallel job. */
class Pool {
 public:
  explicit Pool(int workers) {
    for (int i = 0; i < workers; i++) threads_.emplace_back([this, i] { loop(i + 1); });
  }

  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  ~Pool() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    wake_.notify_all();
    for (auto& t : threads_) t.join();
  }

  /** Runs job(0) here and job(1..parts-1) on the workers; returns when all are done. Rethrows a worker's failure as a message. */
  std::string run(int parts, const std::function<void(int)>& job) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      job_ = &job;
      parts_ = parts;
      pending_ = parts - 1;
      error_.clear();
      generation_++;
    }
    if (parts > 1) wake_.notify_all();
    std::string mine;
    try {
      job(0);
    } catch (const std::exception& e) {
      mine = e.what();
    }
    std::unique_lock<std::mutex> lock(mu_);
    done_.wait(lock, [this] { return pending_ == 0; });
    job_ = nullptr;
    return mine.empty() ? error_ : mine;
  }

 private:
  void loop(int part) {
    uint64_t seen = 0;
    for (;;) {
      const std::function<void(int)>* job = nullptr;
      {
        std::unique_lock<std::mutex> lock(mu_);
        wake_.wait(lock, [&] { return stop_ || (generation_ != seen && part < parts_); });
        if (stop_) return;
        seen = generation_;
        job = job_;
      }
      std::string failure;
      try {
        (*job)(part);
      } catch (const std::exception& e) {
        failure = e.what();
      }
      std::lock_guard<std::mutex> lock(mu_);
      if (!failure.empty() && error_.empty()) error_ = failure;
      if (--pending_ == 0) done_.notify_one();
    }
  }

  std::vector<std::thread> threads_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::condition_variable done_;
  const std::function<void(int)>* job_ = nullptr;
  int parts_ = 0;
  int pending_ = 0;
  uint64_t generation_ = 0;
  std::string error_;
  bool stop_ = false;
};

}  // namespace lstm
