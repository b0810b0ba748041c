#ifndef RULES_ODP_EXAMPLES_SHUFFLER_COMMON_JNI_AGGREGATION_H_
#define RULES_ODP_EXAMPLES_SHUFFLER_COMMON_JNI_AGGREGATION_H_

#include <cstdint>
#include <string>
#include <vector>

namespace aggregator {

// The client updates the example aggregates: fixed, so the output is too.
std::vector<std::int64_t> FixedUpdates();

// Returns the sum of updates as a decimal string.
std::string Sum(const std::vector<std::int64_t>& updates);

}  // namespace aggregator

#endif  // RULES_ODP_EXAMPLES_SHUFFLER_COMMON_JNI_AGGREGATION_H_
