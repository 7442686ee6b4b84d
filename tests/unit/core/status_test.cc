// Status and Result<T>.
#include "core/status.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>

namespace shoal {
namespace {

TEST(Status, DefaultIsOk) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.code(), Status::Code::kOk);
  EXPECT_EQ(s.ToString(), "OK");
  EXPECT_TRUE(Status::Ok().ok());
}

TEST(Status, FactoriesSetCodeAndMessage) {
  struct Case {
    Status status;
    Status::Code code;
    const char* text;
  };
  const Case cases[] = {
      {Status::NotFound("k"), Status::Code::kNotFound, "NotFound: k"},
      {Status::InvalidArgument("bad"), Status::Code::kInvalidArgument, "InvalidArgument: bad"},
      {Status::Corruption("crc"), Status::Code::kCorruption, "Corruption: crc"},
      {Status::IoError("disk"), Status::Code::kIoError, "IOError: disk"},
      {Status::Busy("later"), Status::Code::kBusy, "Busy: later"},
      {Status::Unavailable("down"), Status::Code::kUnavailable, "Unavailable: down"},
  };
  for (const auto& c : cases) {
    EXPECT_FALSE(c.status.ok());
    EXPECT_EQ(c.status.code(), c.code);
    EXPECT_EQ(c.status.ToString(), c.text);
  }
  EXPECT_EQ(Status::IoError("disk").message(), "disk");
}

Result<int> Half(int v) {
  if (v % 2 != 0) return Status::InvalidArgument("odd");
  return v / 2;
}

TEST(Result, HoldsAValue) {
  Result<int> r = Half(8);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r.status().ok());
  EXPECT_EQ(r.value(), 4);
  EXPECT_EQ(*r, 4);
}

TEST(Result, HoldsAnError) {
  Result<int> r = Half(7);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(r.status().message(), "odd");
}

TEST(Result, MovesOutMoveOnlyValues) {
  Result<std::unique_ptr<int>> r(std::make_unique<int>(5));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(**r, 5);
  std::unique_ptr<int> p = std::move(r).value();
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(*p, 5);
}

TEST(Result, ArrowReachesMembers) {
  Result<std::string> r(std::string("abc"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->size(), 3u);
}

TEST(ResultDeathTest, ValueOfAnErrorCrashesLoudly) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  Result<int> r = Half(3);
  ASSERT_FALSE(r.ok());
  EXPECT_DEATH((void)r.value(), "CHECK failed");
}

TEST(ResultDeathTest, ConstructingFromOkStatusCrashesLoudly) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH((void)Result<int>{Status::Ok()}, "CHECK failed");
}

}  // namespace
}  // namespace shoal
