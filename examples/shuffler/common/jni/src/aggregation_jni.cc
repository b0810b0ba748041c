// JNI entry points of com.example.jni.NativeAggregation.

#include <jni.h>

#include <string>

#include "aggregation.h"

extern "C" {

JNIEXPORT jstring JNICALL
Java_com_example_jni_NativeAggregation_aggregate(JNIEnv* env, jclass) {
  const std::string sum = aggregator::Sum(aggregator::FixedUpdates());
  return env->NewStringUTF(sum.c_str());
}

JNIEXPORT jint JNICALL
Java_com_example_jni_NativeAggregation_libcxxVersion(JNIEnv*, jclass) {
  return _LIBCPP_VERSION;
}

}  // extern "C"
