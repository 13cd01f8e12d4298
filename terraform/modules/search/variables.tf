variable "create" {
  description = "Create the domain (false in the local stack: an OpenSearch URL is given instead, or the search leg is off)."
  type        = bool
  default     = true
}

variable "domain_name" {
  description = "Domain name."
  type        = string
}

variable "engine_version" {
  description = "Engine version."
  type        = string
  default     = "OpenSearch_2.17"
}

variable "instance_type" {
  description = "Data node type."
  type        = string
  default     = "r6g.large.search"
}

variable "instance_count" {
  description = "Data nodes (more than one spreads over zones)."
  type        = number
  default     = 2
}

variable "dedicated_master" {
  description = "Three dedicated master nodes: the cluster stays available through a node loss."
  type        = bool
  default     = true
}

variable "master_instance_type" {
  description = "Dedicated master node type."
  type        = string
  default     = "m6g.large.search"
}

variable "logs_kms_key_arn" {
  description = "Key for the domain's log group (null: CloudWatch's default encryption)."
  type        = string
  default     = null
}

variable "volume_gb" {
  description = "EBS volume per node."
  type        = number
  default     = 100
}

variable "kms_key_arn" {
  description = "Customer-managed key for encryption at rest (null: the AWS-managed key)."
  type        = string
  default     = null
}

variable "master_user_arn" {
  description = "IAM role mapped to the fine-grained access control admin."
  type        = string
  default     = null
}

variable "subnet_ids" {
  description = "Private subnets of the domain."
  type        = list(string)
  default     = []
}

variable "security_group_ids" {
  description = "Security groups (HTTPS only from the indexer and monitor)."
  type        = list(string)
  default     = []
}

variable "log_retention_days" {
  description = "Log retention."
  type        = number
  default     = 365
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
