output "stream" {
  description = "The stream's name, ARN, key and capacity."
  value       = { name = module.stream.name, arn = module.stream.arn, kms_key_arn = module.stream.kms_key_arn, capacity = module.stream.capacity }
}

output "producer_policy_arn" {
  description = "Attach to the role of whatever writes to the stream."
  value       = aws_iam_policy.producer.arn
}
