variable "name" {
  description = "Name prefix of the delivery streams, their role and the Glue database."
  type        = string
  default     = "sluice-example"
}

variable "bucket_name" {
  description = "The lake bucket (globally unique; the lake module checks it against the S3 bucket naming rules)."
  type        = string
}

variable "force_destroy" {
  description = "Let destroy empty the bucket (a throwaway example; keep false for data you keep)."
  type        = bool
  default     = false
}
