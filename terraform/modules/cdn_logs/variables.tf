variable "name" {
  description = "Name of the real-time log configuration and of its Kinesis stream; the role is <name>-cloudfront."
  type        = string

  validation {
    # The role's name (<name>-cloudfront) must fit IAM's 64 characters; a stream name allows 128.
    condition     = can(regex("^[A-Za-z0-9_.-]{1,53}$", var.name))
    error_message = "name must be 1..53 of A-Z a-z 0-9 _ . - (the role <name>-cloudfront must fit IAM's 64 characters)."
  }
}

variable "create" {
  description = "Create anything at all: false leaves the module empty (every output null)."
  type        = bool
  default     = true
}

variable "create_realtime_log_config" {
  description = "Create the CloudFront real-time log configuration; false creates only the stream, its key and the role (the AWS API emulator has no real-time log API)."
  type        = bool
  default     = true
}

variable "sampling_rate" {
  description = "Percentage of viewer requests CloudFront logs (1..100). Below 100, rates stay right and counts scale: incidents say the rate."
  type        = number
  default     = 100

  validation {
    condition     = var.sampling_rate >= 1 && var.sampling_rate <= 100 && floor(var.sampling_rate) == var.sampling_rate
    error_message = "sampling_rate must be a whole number from 1 to 100 (CloudFront's range)."
  }
}

variable "log_request_headers" {
  description = "Ask CloudFront for cs-headers: every request header (cookies and Authorization included) kept on the log stream for its 24 h. Players in CMCD header mode send CMCD version-2 keys only there, so turn it on for them; the cmcd-* fields carry the version-1 keys either way (query or header mode). The processor reads only the CMCD-* headers of it."
  type        = bool
  default     = false
}

variable "on_demand" {
  description = "On-demand stream capacity (scales by itself); false for provisioned shards."
  type        = bool
  default     = true
}

variable "shard_count" {
  description = "Shards when provisioned: a shard takes 1,000 records/s or 1 MB/s, one log line a record (~1 KB with these fields), so one shard per ~1,000 requests/s."
  type        = number
  default     = 1

  validation {
    condition     = var.shard_count >= 1 && floor(var.shard_count) == var.shard_count
    error_message = "shard_count must be a whole number of at least 1."
  }
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
