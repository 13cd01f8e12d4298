output "arn" {
  description = "Key ARN."
  value       = try(aws_kms_key.this[0].arn, null)
}

output "key_id" {
  description = "Key id."
  value       = try(aws_kms_key.this[0].key_id, null)
}
